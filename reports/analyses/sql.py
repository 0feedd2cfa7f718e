"""The analyses' statements rank and group a bank's customers: they run with a larger work_mem
(SET LOCAL, for one transaction only), so that their sorts stay in memory instead of spilling to
disk (measured here: the Pareto statement over 300,000 customers took 10 s with the default 4 MB)."""

import contextlib

from django.db import connection, transaction

WORK_MEM = "64MB"


@contextlib.contextmanager
def larger_work_mem():
    """A transaction in which the analyses' statements may sort in memory."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        yield
