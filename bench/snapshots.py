"""The nightly report snapshots (issue 18) against hand-written SQL producing the same rows, in the same run.

    make bench BENCH_ARGS="--suite snapshots --size small|medium|large [--repeat N]"

On the demo customers of bench/customers.py's generator (customers/demo.py; small 12k, medium
50k, large 1M with ~10M transactions), for the demo banks' local yesterday:

  (a) hand-written SQL per bank: one INSERT … SELECT per snapshot table (customers with their
      AUM, liabilities, fees, products and 30-day transactions; holdings by branch × manager ×
      product × currency; the day's transactions by channel × type × currency) and each
      registered measure's SELECT, into the snapshot tables, in one transaction - no run record,
      no checks;
  (b) reports.snapshots.build.build per bank: the same rows plus the SnapshotRun, the day-ended
      and exchange-rate checks, the clean start of the date and a savepoint per measure.

The build's derived steps (the analyses' precompute, reports.analyses.precompute: rows the
hand-written side does not write) are switched off in the (a)/(b) rounds, so the ratio compares the
same rows; a last full build with them is timed for the total (the precompute's own share is the
analyses suite's TARGET precompute_share_of_build).

Before every timed run the date's snapshot rows and runs are deleted; the bench checks that (a)
and (b) write the same rows (a digest of every column but the id). Rounds alternate the order.
Targets (issue 18): (b) <= 2 x (a); (b) in total <= 10 minutes (600 s, the large size's budget).
"""

import os
import statistics
import time

from django.db import connection, transaction

from bench.customers import ensure_data
from bench.lifecycle import _rates_for
from bench.targets import Targets
from customers.master.models import Customer, Transaction
from ocrm import reporting
from ocrm.batch import jobs
from reports.snapshots import build as snapshots
from reports.snapshots.models import CustomerDay, HoldingDay, MeasureDay, SnapshotRun, TransactionDay
from sysadmin.org.models import Bank

TABLES = (CustomerDay, HoldingDay, TransactionDay, MeasureDay)

# (a): written by hand for this bench, the way one would without the build's machinery.
RATES = """rates AS (
    SELECT DISTINCT ON (currency) currency, rate FROM customers_fxrate
    WHERE bank_id = %(bank_id)s AND as_of <= %(business_date)s ORDER BY currency, as_of DESC, effective_at DESC
)"""
HAND_BALANCES = {
    True: """balances AS (
        SELECT h.customer_id, h.product_id, h.currency, b.balance, b.balance_base
        FROM customers_holdingbalance b JOIN customers_holding h ON h.id = b.holding_id
        WHERE b.bank_id = %(bank_id)s AND b.business_date = %(business_date)s)""",
    False: """balances AS (
        SELECT h.customer_id, h.product_id, h.currency, h.balance,
               round(h.balance * CASE WHEN h.currency = %(base)s THEN 1 ELSE r.rate END, 2) AS balance_base
        FROM customers_holding h LEFT JOIN rates r ON r.currency = h.currency
        WHERE h.bank_id = %(bank_id)s AND h.status <> 'closed' AND (h.open_date IS NULL OR h.open_date <= %(business_date)s))""",
}
CUSTOMERS = """alive AS (
    SELECT * FROM customers_customer
    WHERE bank_id = %(bank_id)s AND merged_into_id IS NULL AND created_at < %(day_end)s)"""

HAND_CUSTOMERS = """
INSERT INTO reports_customerday (bank_id, business_date, customer_id, branch_id, manager_id, kind, lifecycle_stage, tier,
    star_rating, aum, liabilities, contribution, fee_income, products_held, product_categories, transactions_30d,
    method_version)
WITH {rates}, {balances}, {customers},
per_customer AS (
    SELECT customer_id,
           sum(CASE WHEN p.category = 'asset' THEN balance_base ELSE 0 END) AS aum,
           sum(CASE WHEN p.category = 'liability' THEN balance_base ELSE 0 END) AS liabilities,
           count(DISTINCT product_id) AS products,
           string_agg(DISTINCT p.category, ',' ORDER BY p.category) AS categories
    FROM balances JOIN customers_product p ON p.id = balances.product_id GROUP BY customer_id
),
activity AS (
    SELECT t.customer_id, count(*) AS n,
           sum(CASE WHEN t.occurred_at >= %(day_start)s AND lower(t.txn_type) = 'fee'
                    THEN (CASE WHEN t.direction = 'D' THEN 1 ELSE -1 END)
                         * t.amount * CASE WHEN t.currency = %(base)s THEN 1 ELSE r.rate END END) AS fees
    FROM customers_transaction t LEFT JOIN rates r ON r.currency = t.currency
    WHERE t.bank_id = %(bank_id)s AND t.occurred_at >= %(since)s AND t.occurred_at < %(day_end)s
    GROUP BY t.customer_id
)
SELECT c.bank_id, %(business_date)s, c.id, c.branch_id, c.primary_manager_id, c.kind, c.lifecycle_stage, c.tier,
       c.star_rating, coalesce(pc.aum, 0), coalesce(pc.liabilities, 0), c.contribution, round(coalesce(a.fees, 0), 2),
       coalesce(pc.products, 0), coalesce(pc.categories, ''), coalesce(a.n, 0), 1
FROM alive c LEFT JOIN per_customer pc ON pc.customer_id = c.id LEFT JOIN activity a ON a.customer_id = c.id
"""
HAND_HOLDINGS = """
INSERT INTO reports_holdingday (bank_id, business_date, branch_id, manager_id, product_id, category, currency, holders,
    accounts, balance, balance_base, method_version)
WITH {rates}, {balances}, {customers}
SELECT %(bank_id)s, %(business_date)s, c.branch_id, c.primary_manager_id, b.product_id, p.category, b.currency,
       count(DISTINCT b.customer_id), count(*), sum(b.balance), sum(b.balance_base), 1
FROM balances b JOIN alive c ON c.id = b.customer_id JOIN customers_product p ON p.id = b.product_id
GROUP BY 3, 4, 5, 6, 7
"""
HAND_TRANSACTIONS = """
INSERT INTO reports_transactionday (bank_id, business_date, branch_id, manager_id, channel, txn_type, currency, count,
    amount_base, method_version)
WITH {rates}, {customers}
SELECT %(bank_id)s, %(business_date)s, c.branch_id, c.primary_manager_id, t.channel, t.txn_type, t.currency, count(*),
       round(sum(t.amount * CASE WHEN t.currency = %(base)s THEN 1 ELSE r.rate END), 2), 1
FROM customers_transaction t JOIN alive c ON c.id = t.customer_id LEFT JOIN rates r ON r.currency = t.currency
WHERE t.bank_id = %(bank_id)s AND t.occurred_at >= %(day_start)s AND t.occurred_at < %(day_end)s
GROUP BY 3, 4, 5, 6, 7
"""
HAND_MEASURE = """
INSERT INTO reports_measureday (bank_id, business_date, branch_id, manager_id, measure, value, method_version)
SELECT %(bank_id)s, %(business_date)s, coalesce(m.branch_id, %(head_office)s), m.manager_id, %(measure_key)s,
       coalesce(m.value, 0), %(measure_version)s FROM ({sql}) AS m (branch_id, manager_id, value)
"""


def hand_written(bank, business_date):
    """(a) for one bank: the rows, one statement per table and measure, in one transaction."""
    params = snapshots.parameters_for(bank, business_date)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM customers_holdingbalance WHERE bank_id = %(bank_id)s "
            "AND business_date = %(business_date)s)",
            params,
        )
        parts = {"rates": RATES, "balances": HAND_BALANCES[cursor.fetchone()[0]], "customers": CUSTOMERS}
        written = 0
        for template in (HAND_CUSTOMERS, HAND_HOLDINGS, HAND_TRANSACTIONS):
            cursor.execute(template.format(**parts), params)
            written += cursor.rowcount
        for measure in reporting.measures():
            cursor.execute(
                HAND_MEASURE.format(sql=measure.sql.strip().rstrip(";")),
                {**params, "measure_key": measure.key, "measure_version": measure.version},
            )
            written += cursor.rowcount
        return written


def _clear(bank_ids, business_date):
    with connection.cursor() as cursor:
        for model in TABLES:
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE bank_id = ANY(%s) AND business_date = %s", [bank_ids, business_date]
            )
        SnapshotRun.objects.filter(bank_id__in=bank_ids, business_date=business_date).delete()
        for model in TABLES:
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def _digest(bank_ids, business_date):
    """A digest of every snapshot row of the date (all columns but the id)."""
    parts = []
    with connection.cursor() as cursor:
        for model in TABLES:
            columns = [f.column for f in model._meta.fields if f.column != "id"]
            cursor.execute(
                f"SELECT count(*), md5(string_agg(concat_ws(',', {', '.join(columns)}), ';' ORDER BY "
                f"concat_ws(',', {', '.join(columns)}))) FROM {model._meta.db_table} "
                "WHERE bank_id = ANY(%s) AND business_date = %s",
                [bank_ids, business_date],
            )
            parts.append(cursor.fetchone())
    return parts


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def run(size, repeat):
    ensure_data(size)
    banks = list(Bank.objects.filter(code__in=["OGB", "HCB"]).order_by("code"))
    bank_ids = [bank.pk for bank in banks]
    # The latest date that has ended in every demo bank's zone.
    business_date = min(jobs.last_ended_business_date(bank.pk) for bank in banks)
    rounds = max(1, min(repeat, 2 if size == "large" else 4))
    customers = Customer.objects.filter(bank_id__in=bank_ids, merged_into__isnull=True).count()
    print(
        f"\nsnapshots: {customers} customers, {Transaction.objects.filter(bank_id__in=bank_ids).count()} transactions, "
        f"banks {', '.join(b.code for b in banks)}, business date {business_date}, {len(reporting.measures())} measures, "
        f"{rounds} rounds; load {os.getloadavg()[0]:.2f}"
    )
    _rates_for(bank_ids, business_date)
    times = {"a": [], "b": []}
    digests = {}

    def measure(which):
        _clear(bank_ids, business_date)
        if which == "a":
            seconds, written = _timed(lambda: sum(hand_written(bank, business_date) for bank in banks))
        else:
            seconds, runs = _timed(lambda: [snapshots.build(bank, business_date) for bank in banks])
            written = sum(v for r in runs for v in r.rows.values())
        times[which].append(seconds)
        digest = _digest(bank_ids, business_date)
        digests.setdefault(which, digest)
        assert digests[which] == digest, f"({which}) wrote other rows in another round"
        print(f"  ({which}) {seconds:8.2f} s  {written} rows", flush=True)

    derived = list(snapshots.DERIVED_STEPS)
    snapshots.DERIVED_STEPS[:] = []  # the same rows on both sides (see the docstring)
    try:
        for index in range(rounds):
            for which in ("a", "b") if index % 2 == 0 else ("b", "a"):
                measure(which)
    finally:
        snapshots.DERIVED_STEPS[:] = derived
    _clear(bank_ids, business_date)
    full, _runs = _timed(lambda: [snapshots.build(bank, business_date) for bank in banks])
    print(f"  the full build with its derived steps (the analyses' precompute): {full:.2f} s", flush=True)
    _clear(bank_ids, business_date)
    same = digests["a"] == digests["b"]
    print(f"  same rows from (a) and (b): {same}  {digests['b']}")
    assert same, (digests["a"], digests["b"])
    a, b = statistics.median(times["a"]), statistics.median(times["b"])
    print(f"  median (a) hand-written {a:.2f} s, (b) build {b:.2f} s, ratio {b / a:.2f}")
    targets = Targets("snapshots")
    targets.add("ratio", b / a, "x", "<=2")
    targets.add("total_time", full, "s", "<=600")
    targets.print()
