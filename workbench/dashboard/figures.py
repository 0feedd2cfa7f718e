"""The nightly book figures (BookFigure): one set-based statement per bank rebuilds them after
its local end of day (workbench.dashboard.tasks, a PerBankJob like the reminders'); the book and
breakdown cards read them with one small indexed query each. A bank with no figures yet (a new
bank, a test) is counted live."""

import datetime

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from customers.master.models import Customer, Holding, HoldingBalance, Product, Transaction
from ocrm import tenants
from workbench.dashboard import services
from workbench.dashboard.models import BookFigure, DashFigure

JOB = "workbench_dashboard_figures"


def rebuild(bank_id, now=None, today=None):
    """Replace the bank's figures with the golden customers' counts and AUM grouped by branch,
    primary manager, tier and stage, and the other figures (DashFigure) of the bank's local day
    `today`; returns how many rows were written."""
    now = now or timezone.now()
    zone = tenants.bank_zone(bank_id)
    today = today or timezone.localtime(now, zone).date()
    with transaction.atomic(), connection.cursor() as cursor:
        BookFigure.objects.filter(bank_id=bank_id).delete()
        DashFigure.objects.filter(bank_id=bank_id).delete()
        written = sum(statement(cursor, bank_id, now, today, zone) for statement in DASH_STATEMENTS)
        # The book grain, and in the same scan the bank's (tier, stage), per-branch and per-manager
        # totals (BookFigure.Grain) the head office's cards read instead of the bank's book rows.
        g = BookFigure.Grain
        cursor.execute(
            f"""INSERT INTO {BookFigure._meta.db_table}
                    (bank_id, branch_id, manager_id, grain, tier, lifecycle_stage, customers, aum, built_at)
                SELECT bank_id, branch_id, primary_manager_id,
                       CASE WHEN GROUPING(tier) = 0 AND GROUPING(branch_id) = 0 THEN '{g.BOOK}'
                            WHEN GROUPING(tier) = 0 THEN '{g.BANK}'
                            WHEN GROUPING(branch_id) = 0 THEN '{g.BRANCH}' ELSE '{g.MANAGER}' END,
                       COALESCE(tier, ''), COALESCE(lifecycle_stage, ''), count(*), COALESCE(sum(aum), 0), %s
                FROM {Customer._meta.db_table}
                WHERE bank_id = %s AND merged_into_id IS NULL
                GROUP BY bank_id, GROUPING SETS (
                    (branch_id, primary_manager_id, tier, lifecycle_stage), (tier, lifecycle_stage), (branch_id),
                    (primary_manager_id)
                )""",
            [now, bank_id],
        )
        written += cursor.rowcount
        # Stale statistics after replacing the rows make the planner misjudge the next reads.
        cursor.execute(f"ANALYZE {DashFigure._meta.db_table}")
        cursor.execute(f"ANALYZE {BookFigure._meta.db_table}")
        return written


CUSTOMER_GROUP = "c.branch_id, c.primary_manager_id"
INSERT = f"""INSERT INTO {DashFigure._meta.db_table}
    (bank_id, branch_id, manager_id, kind, day, channel, currency, n, amount, n7, amount7, built_at)"""


def _per_manager_or(kind):
    """Rows grouped per branch keep `kind`, rows grouped per manager (GROUPING SETS) its
    `_manager` kind, the bank's totals its `_bank` kind: a supervisor sums the subtree's branches,
    a manager their dozen rows, the head office the bank's dozen."""
    return (
        f"CASE WHEN GROUPING(c.branch_id) = 1 AND GROUPING(c.primary_manager_id) = 1 THEN '{kind}_bank'"
        f" WHEN GROUPING(c.branch_id) = 1 THEN '{kind}_manager' ELSE '{kind}' END"
    )


def _aum_months(cursor, bank_id, now, today, zone):
    """The asset balances at the twelve month ends before today's month, by the customer's
    branch and manager of today (as the live card's book)."""
    cursor.execute(
        f"""{INSERT}
        SELECT %s, {CUSTOMER_GROUP}, {_per_manager_or(DashFigure.Kind.AUM_MONTH)}, b.business_date, '', '',
               count(*), COALESCE(sum(b.balance_base), 0), 0, 0, %s
        FROM {HoldingBalance._meta.db_table} b
        JOIN {Customer._meta.db_table} c ON c.id = b.customer_id
        JOIN {Holding._meta.db_table} h ON h.id = b.holding_id
        JOIN {Product._meta.db_table} p ON p.id = h.product_id
        WHERE b.bank_id = %s AND c.bank_id = %s AND c.merged_into_id IS NULL
          AND b.business_date = ANY(%s) AND p.category = %s
        GROUP BY GROUPING SETS ((c.branch_id, b.business_date), (c.primary_manager_id, b.business_date), (b.business_date))""",
        [
            bank_id,
            now,
            bank_id,
            bank_id,
            services.month_ends(today),
            Product.Category.ASSET,
        ],
    )
    return cursor.rowcount


def _due(cursor, bank_id, now, today, zone):
    """Holdings not closed maturing / with an instalment due in the DUE_DAYS from today."""
    until = today + datetime.timedelta(days=services.DUE_DAYS)
    written = 0
    for kind, day_column, amount_column in (
        (DashFigure.Kind.MATURITY, "maturity_date", "balance"),
        (DashFigure.Kind.INSTALMENT, "next_instalment_date", "next_instalment_amount"),
    ):
        cursor.execute(
            f"""{INSERT}
            SELECT %s, {CUSTOMER_GROUP}, %s, NULL, '', '', count(*), COALESCE(sum(h.{amount_column}), 0), 0, 0, %s
            FROM {Holding._meta.db_table} h
            JOIN {Customer._meta.db_table} c ON c.id = h.customer_id
            WHERE h.bank_id = %s AND c.bank_id = %s AND c.merged_into_id IS NULL
              AND h.status <> %s AND h.{day_column} BETWEEN %s AND %s
            GROUP BY {CUSTOMER_GROUP}""",
            [bank_id, kind, now, bank_id, bank_id, Holding.Status.CLOSED, today, until],
        )
        written += cursor.rowcount
    return written


def _transactions(cursor, bank_id, now, today, zone):
    """Per channel and currency, the transactions of the 30 and 7 local days before today (a
    plain range on occurred_at, the partition key)."""
    end = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
    since30, since7 = end - datetime.timedelta(days=30), end - datetime.timedelta(days=7)
    cursor.execute(
        f"""{INSERT}
        SELECT %s, {CUSTOMER_GROUP}, {_per_manager_or(DashFigure.Kind.TRANSACTIONS)}, NULL, t.channel, t.currency,
               count(*), COALESCE(sum(t.amount), 0),
               count(*) FILTER (WHERE t.occurred_at >= %s), COALESCE(sum(t.amount) FILTER (WHERE t.occurred_at >= %s), 0), %s
        FROM {Transaction._meta.db_table} t
        JOIN {Customer._meta.db_table} c ON c.id = t.customer_id
        WHERE t.bank_id = %s AND c.bank_id = %s AND c.merged_into_id IS NULL
          AND t.occurred_at >= %s AND t.occurred_at < %s
        GROUP BY GROUPING SETS (
            (c.branch_id, t.channel, t.currency), (c.primary_manager_id, t.channel, t.currency), (t.channel, t.currency)
        )""",
        [bank_id, since7, since7, now, bank_id, bank_id, since30, end],
    )
    return cursor.rowcount


DASH_STATEMENTS = (_aum_months, _due, _transactions)


def rebuild_scope(run, scope):
    if scope.bank_id is None:
        return
    written = rebuild(scope.bank_id, today=scope.business_date)
    run.count(figure_rows=written)
    run.advance(1)


def built_at(bank_id):
    """When the bank's figures were built (None: never; the cards count live)."""
    if bank_id is None:
        return None
    return BookFigure.objects.filter(bank_id=bank_id).aggregate(at=Max("built_at"))["at"]
