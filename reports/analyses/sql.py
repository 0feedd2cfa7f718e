"""The analyses' statements rank and group a bank's customers: they run with a larger work_mem
(SET LOCAL, for one transaction only), so that their sorts stay in memory instead of spilling to
disk (measured here: the Pareto statement over 300,000 customers took 10 s with the default 4 MB).

A page opens that transaction only when it computes something from CustomerDay (sort_in_memory(),
called by the statements that do): a page reading only the nightly build's precomputed rows needs
no large sort and saves the three round trips (BEGIN, SET LOCAL, COMMIT)."""

import contextlib
import contextvars

from django.db import connection, transaction

WORK_MEM = "64MB"

_PAGE = contextvars.ContextVar("analyses_work_mem", default=None)


@contextlib.contextmanager
def larger_work_mem():
    """Within, the first sort_in_memory() opens a transaction with the larger work_mem, which
    lasts until the block ends (a page: its statements and its rendering)."""
    stack = contextlib.ExitStack()
    token = _PAGE.set({"stack": stack, "open": False})
    try:
        with stack:
            yield
    finally:
        _PAGE.reset(token)


def sort_in_memory():
    """Before a statement that ranks or groups CustomerDay rows: the larger work_mem from now on
    (inside larger_work_mem(); elsewhere nothing, the caller's transaction is its own)."""
    page = _PAGE.get()
    if page is None or page["open"]:
        return
    page["stack"].enter_context(transaction.atomic())
    page["open"] = True
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")


def visible_probe(alias, visible):
    """(SQL, params): a CROSS JOIN LATERAL keeping the rows of `alias` whose customer_id is in
    `visible` (a Customer queryset: the user's scope), probed by primary key row by row. As an
    IN (…) the planner hashes every visible customer first (the whole bank's, for a head office:
    36 ms of a 38 ms statement at 35,000 customers) to keep the 51 rows of a page; probed, a page
    ordered by an index stops after its rows (1.6 ms). LIMIT 1 keeps the subquery from being
    turned back into that join."""
    visible_sql, visible_params = visible.order_by().values("pk").query.sql_with_params()
    sql = f"CROSS JOIN LATERAL (SELECT 1 FROM ({visible_sql}) AS v (id) WHERE v.id = {alias}.customer_id LIMIT 1) AS seen"
    return sql, list(visible_params)
