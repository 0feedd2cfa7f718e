"""Data built once and read by many tests: pytest's counterpart of Django's setUpTestData.

A module- or class-scoped fixture opens one transaction, builds its rows inside it and
yields them; every test that uses it runs in a savepoint inside that transaction (pytest-
django's `django_db`), so whatever a test writes is rolled back before the next one, and
the shared rows are rolled back when the fixture ends. Building an organisation once
instead of once per test is what makes a parametrised test of hundreds of cases cheap.

    @pytest.fixture(scope="module")
    def world(django_db_setup, django_db_blocker):
        with shared_rows(django_db_blocker):
            yield build_org()

Only for tests that read the shared rows (they may write their own): the instances are
shared Python objects, so a test must not change them in memory either. Not for
`transactional_db` tests (a real worker or a live server sees committed data only).
"""

import contextlib

from django.core.cache import cache
from django.db import transaction


@contextlib.contextmanager
def shared_rows(django_db_blocker):
    """Open the outer transaction, run the body (building and using the rows) inside it,
    roll everything back at the end. Redis is cleared before and after: sessions and cached
    parameters of the shared rows must not outlive them."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        # Tell Django this is a test's transaction: a durable atomic block inside is then allowed.
        outer._from_testcase = True
        cache.delete_pattern("*")
    try:
        with django_db_blocker.unblock():
            yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            cache.delete_pattern("*")
