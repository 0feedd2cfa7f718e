"""The nightly book figures (BookFigure): one set-based statement per bank rebuilds them after
its local end of day (workbench.dashboard.tasks, a PerBankJob like the reminders'); the book and
breakdown cards read them with one small indexed query each. A bank with no figures yet (a new
bank, a test) is counted live."""

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from customers.master.models import Customer
from workbench.dashboard.models import BookFigure

JOB = "workbench_dashboard_figures"


def rebuild(bank_id, now=None):
    """Replace the bank's figures with the golden customers' counts and AUM grouped by branch,
    primary manager, tier and stage; returns how many rows were written."""
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        BookFigure.objects.filter(bank_id=bank_id).delete()
        cursor.execute(
            f"""INSERT INTO {BookFigure._meta.db_table}
                    (bank_id, branch_id, manager_id, tier, lifecycle_stage, customers, aum, built_at)
                SELECT bank_id, branch_id, primary_manager_id, tier, lifecycle_stage, count(*), COALESCE(sum(aum), 0), %s
                FROM {Customer._meta.db_table}
                WHERE bank_id = %s AND merged_into_id IS NULL
                GROUP BY bank_id, branch_id, primary_manager_id, tier, lifecycle_stage""",
            [now, bank_id],
        )
        return cursor.rowcount


def rebuild_scope(run, scope):
    if scope.bank_id is None:
        return
    written = rebuild(scope.bank_id)
    run.count(figure_rows=written)
    run.advance(1)


def built_at(bank_id):
    """When the bank's figures were built (None: never; the cards count live)."""
    if bank_id is None:
        return None
    return BookFigure.objects.filter(bank_id=bank_id).aggregate(at=Max("built_at"))["at"]
