"""The analyses precomputed by the nightly snapshot build (issue 18: a report page for a whole
bank answers in ≤ 150 ms): one set of rows per bank × business date, written by set-based
statements in the build's transaction (reports.snapshots.build.register_derived_step),
idempotent (the date's rows are deleted first), read by the pages instead of ranking and
grouping 300,000 customer-day rows on every request.

* ParetoDay: the percentile buckets (running sums) of the bank and of each branch, by AUM and by
  contribution — the same figures as pareto.pareto() computes live.
* SegmentDay: customers and AUM per branch × manager × value × lifecycle × usage (additive: a
  subtree or a manager's book is a sum of rows).
* ChurnDay: per branch × manager, customers scored, warned, each signal's count, and the backtest
  counts of the warnings of `warned_on` checked on this date (additive too).
* ChurnWarningDay: the warned customers (score ≥ WARN_AT) with their signals.
* AnalysisDay: the marker; a date without it (built before this step existed) is computed live.

What is not additive — the Pareto of a subtree of several branches, or of one manager's book —
is computed live from CustomerDay (docs/analyses.md says why)."""

import datetime

from django.db import connection, transaction

from ocrm.datalife import partitions
from reports.analyses import churn, markers, pareto
from reports.analyses.models import (
    AnalysisDay,
    ChurnDay,
    ChurnWarningDay,
    MovementDay,
    ParetoDay,
    SegmentDay,
    TopCustomerDay,
)
from reports.analyses.scope import SnapshotScope
from reports.analyses.segments import USAGE_SQL, VALUE_SQL
from reports.analyses.sql import WORK_MEM
from reports.snapshots import build
from reports.snapshots import services as snapshot_services

# 2: the bank's top customers (TopCustomerDay) are precomputed too (pareto.TOP_CUSTOMERS_SINCE).
METHOD_VERSION = 2
TABLES = (ParetoDay, TopCustomerDay, SegmentDay, MovementDay, ChurnDay, ChurnWarningDay, AnalysisDay)
# The tables partitioned by month (AnalysisDay is not): the snapshots' retention drops their months.
DAY_TABLES = [model._meta.db_table for model in TABLES if model is not AnalysisDay]

# One pass over the date's customer rows, no copy of them: each row is ranked by AUM and by
# contribution within its branch and within the bank (four windows, four sorts of n rows — not two
# sorts of the rows doubled by a UNION of "branch" and "bank" groups, then two more of the top).
# The bank's running sums share their window's order, so the top customers (a prefix of that
# order) take theirs as they are; the percentile buckets of the bank and of each branch are one
# grouping (GROUPING SETS) of the ranked rows. Measured at 35,000 customers: 0.78 s → 0.57 s.
_PARETO = """
WITH ranked AS (
    SELECT cd.branch_id, cd.customer_id, cd.aum, cd.contribution,
           count(*) OVER (PARTITION BY cd.branch_id) AS branch_n,
           row_number() OVER branch_aum AS branch_aum_rank,
           row_number() OVER branch_contribution AS branch_contribution_rank,
           count(*) OVER () AS n,
           row_number() OVER bank_aum AS aum_rank,
           sum(cd.aum) OVER bank_aum AS aum_running,
           row_number() OVER bank_contribution AS contribution_rank,
           sum(cd.contribution) OVER bank_contribution AS contribution_running
    FROM reports_customerday cd
    WHERE cd.bank_id = %(bank)s AND cd.business_date = %(day)s
    WINDOW branch_aum AS (PARTITION BY cd.branch_id ORDER BY cd.aum DESC, cd.customer_id),
           branch_contribution AS (PARTITION BY cd.branch_id ORDER BY cd.contribution DESC, cd.customer_id),
           bank_aum AS (ORDER BY cd.aum DESC, cd.customer_id ROWS UNBOUNDED PRECEDING),
           bank_contribution AS (ORDER BY cd.contribution DESC, cd.customer_id ROWS UNBOUNDED PRECEDING)
), top_rows AS (
    INSERT INTO reports_topcustomerday (bank_id, business_date, customer_id, branch_id, aum, contribution,
                                        aum_rank, aum_running, contribution_rank, contribution_running)
    SELECT %(bank)s, %(day)s::date, t.customer_id, t.branch_id, t.aum, t.contribution,
           CASE WHEN t.aum_in THEN t.aum_rank END, CASE WHEN t.aum_in THEN t.aum_running END,
           CASE WHEN t.contribution_in THEN t.contribution_rank END,
           CASE WHEN t.contribution_in THEN t.contribution_running END
    FROM (SELECT r.*, r.aum_rank <= (r.n * %(cut)s + 99) / 100 AS aum_in,
                 r.contribution_rank <= (r.n * %(cut)s + 99) / 100 AS contribution_in
          FROM ranked r) t
    WHERE t.aum_in OR t.contribution_in
), buckets AS (
    SELECT r.branch_id AS grp,
           CASE WHEN GROUPING(r.aum_bucket) = 0 OR GROUPING(r.branch_aum_bucket) = 0 THEN 'aum' ELSE 'contribution' END
               AS measure,
           coalesce(r.aum_bucket, r.contribution_bucket, r.branch_aum_bucket, r.branch_contribution_bucket) AS bucket,
           CASE WHEN GROUPING(r.branch_id) = 1 THEN max(r.n) ELSE max(r.branch_n) END AS n,
           CASE WHEN GROUPING(r.aum_bucket) = 0 OR GROUPING(r.branch_aum_bucket) = 0 THEN sum(r.aum)
                ELSE sum(r.contribution) END AS amount
    FROM (SELECT branch_id, n, branch_n, aum, contribution,
                 (100 * (aum_rank - 1)) / n + 1 AS aum_bucket,
                 (100 * (contribution_rank - 1)) / n + 1 AS contribution_bucket,
                 (100 * (branch_aum_rank - 1)) / branch_n + 1 AS branch_aum_bucket,
                 (100 * (branch_contribution_rank - 1)) / branch_n + 1 AS branch_contribution_bucket
          FROM ranked) r
    GROUP BY GROUPING SETS ((r.aum_bucket), (r.contribution_bucket), (r.branch_id, r.branch_aum_bucket),
                            (r.branch_id, r.branch_contribution_bucket))
)
INSERT INTO reports_paretoday (bank_id, business_date, branch_id, measure, bucket, n, running, total)
SELECT %(bank)s, %(day)s::date, grp, measure, bucket, n,
       sum(amount) OVER (PARTITION BY grp, measure ORDER BY bucket),
       sum(amount) OVER (PARTITION BY grp, measure)
FROM buckets
"""

_SEGMENTS = f"""
INSERT INTO reports_segmentday (bank_id, business_date, branch_id, manager_id, value, lifecycle, usage, customers, aum)
SELECT %(bank)s, %(day)s::date, cd.branch_id, cd.manager_id, {VALUE_SQL.format(a="cd")}, cd.lifecycle_stage,
       {USAGE_SQL.format(a="cd")}, count(*), coalesce(sum(cd.aum), 0)
FROM reports_customerday cd
WHERE cd.bank_id = %(bank)s AND cd.business_date = %(day)s
GROUP BY 3, 4, 5, 6, 7
"""

_MOVEMENT = f"""
INSERT INTO reports_movementday (bank_id, business_date, compare_date, branch_a, manager_a, seg_a,
                                 branch_b, manager_b, seg_b, customers)
WITH a AS (
    SELECT a.customer_id, a.branch_id, a.manager_id, {VALUE_SQL.format(a="a")} || ':' || a.lifecycle_stage AS seg
    FROM reports_customerday a WHERE a.bank_id = %(bank)s AND a.business_date = %(compare)s
), b AS (
    SELECT b.customer_id, b.branch_id, b.manager_id, {VALUE_SQL.format(a="b")} || ':' || b.lifecycle_stage AS seg
    FROM reports_customerday b WHERE b.bank_id = %(bank)s AND b.business_date = %(day)s
)
SELECT %(bank)s, %(day)s::date, %(compare)s::date, a.branch_id, a.manager_id, a.seg, b.branch_id, b.manager_id, b.seg,
       count(*)
FROM a FULL OUTER JOIN b ON a.customer_id = b.customer_id
GROUP BY 4, 5, 6, 7, 8, 9
"""

SIGNAL_KEYS = [s.key for s in churn.SIGNALS]
ANALYZED_COLUMNS = ("bank_id", "business_date", "customer_id", "branch_id", "manager_id", "lifecycle_stage")


def _churn(cursor, bank_id, day):
    """The scores of `day` in a temporary table, then ChurnDay and ChurnWarningDay from it."""
    scope = SnapshotScope(bank_id)
    compare_day = churn.snapshot_on_or_before(bank_id, day - datetime.timedelta(days=churn.COMPARE_DAYS))
    sql, args = churn.signals_sql(scope, day, compare_day)
    cursor.execute("DROP TABLE IF EXISTS acrm_scores")
    cursor.execute(f"CREATE TEMPORARY TABLE acrm_scores ON COMMIT DROP AS {sql}", args)
    signals = ", ".join(SIGNAL_KEYS)
    counts = ", ".join(f"count(*) FILTER (WHERE {key})" for key in SIGNAL_KEYS)
    cursor.execute(
        f"""INSERT INTO reports_churnday (bank_id, business_date, branch_id, manager_id, scored, warned, {signals},
                                          bt_scored, bt_warned, bt_churned, bt_warned_churned)
            SELECT %s, %s, branch_id, manager_id, count(*), count(*) FILTER (WHERE score >= %s), {counts}, 0, 0, 0, 0
            FROM acrm_scores GROUP BY branch_id, manager_id""",
        [bank_id, day, churn.WARN_AT],
    )
    cursor.execute(
        f"""INSERT INTO reports_churnwarningday (bank_id, business_date, customer_id, branch_id, manager_id, aum, prev_aum,
                transactions_30d, prev_transactions, lifecycle_stage, prev_stage, {signals}, score)
            SELECT %s, %s, customer_id, branch_id, manager_id, aum, prev_aum, transactions_30d, prev_transactions,
                   lifecycle_stage, prev_stage, {signals}, score
            FROM acrm_scores WHERE score >= %s""",
        [bank_id, day, churn.WARN_AT],
    )
    warnings = cursor.rowcount
    cursor.execute("DROP TABLE acrm_scores")
    warned_on = churn.snapshot_on_or_before(bank_id, day - datetime.timedelta(days=churn.BACKTEST_DAYS))
    if warned_on is not None:
        if AnalysisDay.objects.filter(bank_id=bank_id, business_date=warned_on).exists():
            _backtest_from_warnings(cursor, bank_id, day, warned_on)
        else:
            _backtest_live(cursor, bank_id, day, warned_on, scope)
    return compare_day, warned_on, warnings


def _backtest_live(cursor, bank_id, day, warned_on, scope):
    """The backtest scoring every customer of `warned_on` again (that date was not precomputed)."""
    warned_compare = churn.snapshot_on_or_before(bank_id, warned_on - datetime.timedelta(days=churn.COMPARE_DAYS))
    sql, args = churn.signals_sql(scope, warned_on, warned_compare)
    signals = ", ".join(SIGNAL_KEYS)
    cursor.execute(
        f"""INSERT INTO reports_churnday (bank_id, business_date, branch_id, manager_id, scored, warned, {signals},
                                          bt_scored, bt_warned, bt_churned, bt_warned_churned)
            SELECT %s, %s, w.branch_id, w.manager_id, 0, 0, {", ".join("0" for _key in SIGNAL_KEYS)}, count(*),
                   count(*) FILTER (WHERE w.score >= %s),
                   count(*) FILTER (WHERE o.churned),
                   count(*) FILTER (WHERE w.score >= %s AND o.churned)
            FROM ({sql}) w
            LEFT JOIN LATERAL (
                SELECT coalesce(bool_or(d.lifecycle_stage = 'exited'
                                        OR (w.aum > 0 AND d.aum <= w.aum * {churn.CHURN_AUM_SHARE})), true) AS churned
                FROM reports_customerday d
                WHERE d.bank_id = %s AND d.business_date = %s AND d.customer_id = w.customer_id
            ) o ON true
            GROUP BY w.branch_id, w.manager_id""",
        [bank_id, day, churn.WARN_AT, churn.WARN_AT, *args, bank_id, day],
    )


# The warnings of `warned_on` as that night's precompute issued them (ChurnWarningDay): the
# population scored then is its CustomerDay rows not exited; no second pass over the signals
# (90 days of transactions), and the backtest judges the warnings people were actually shown.
_BACKTEST = f"""
INSERT INTO reports_churnday (bank_id, business_date, branch_id, manager_id, scored, warned, {", ".join(SIGNAL_KEYS)},
                              bt_scored, bt_warned, bt_churned, bt_warned_churned)
SELECT %(bank)s, %(day)s, w.branch_id, w.manager_id, 0, 0, {", ".join("0" for _key in SIGNAL_KEYS)}, count(*),
       count(cw.customer_id),
       count(*) FILTER (WHERE o.churned),
       count(*) FILTER (WHERE cw.customer_id IS NOT NULL AND o.churned)
FROM reports_customerday w
LEFT JOIN reports_churnwarningday cw
       ON cw.bank_id = w.bank_id AND cw.business_date = w.business_date AND cw.customer_id = w.customer_id
LEFT JOIN reports_customerday d
       ON d.bank_id = w.bank_id AND d.business_date = %(day)s AND d.customer_id = w.customer_id
CROSS JOIN LATERAL (
    SELECT (d.customer_id IS NULL OR d.lifecycle_stage = 'exited'
            OR coalesce(w.aum > 0 AND d.aum <= w.aum * {churn.CHURN_AUM_SHARE}, false)) AS churned
) o
WHERE w.bank_id = %(bank)s AND w.business_date = %(warned_on)s AND w.lifecycle_stage <> 'exited'
GROUP BY w.branch_id, w.manager_id
"""


def _backtest_from_warnings(cursor, bank_id, day, warned_on):
    cursor.execute(_BACKTEST, {"bank": bank_id, "day": day, "warned_on": warned_on})


def precompute(cursor, bank, business_date):
    """Write the analyses' rows of (bank, business_date), replacing any; returns {table: rows}.
    In the caller's transaction (the build's), or in one of its own."""
    with transaction.atomic():
        return _precompute(cursor, bank, business_date)


def _precompute(cursor, bank, business_date):
    bank_id = getattr(bank, "pk", bank)
    params = {"bank": bank_id, "day": business_date, "cut": pareto.CUTS[-1]}
    for model in TABLES:
        cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE bank_id = %s AND business_date = %s", [bank_id, business_date])
    # The date's rows were written by this transaction: without statistics the planner takes
    # them for none and joins the transactions and holdings to them row by row (minutes, not seconds).
    # Only the date's month: ANALYZE of the partitioned parent would sample every month kept; and
    # only the columns the statements below filter, join and group on (the row count comes with
    # any): the other columns' statistics cost 80 % of the time and no plan here reads them.
    month = partitions.monthly_partitions(cursor, "reports_customerday").get(partitions.month_start(business_date))
    cursor.execute(f'ANALYZE "{month or "reports_customerday_default"}" ({", ".join(ANALYZED_COLUMNS)})')
    cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")  # the ranking and grouping sort in memory
    rows = {}
    cursor.execute(_PARETO, params)
    rows["analysis_pareto"] = cursor.rowcount
    cursor.execute(_SEGMENTS, params)
    rows["analysis_segments"] = cursor.rowcount
    compare_day, warned_on, rows["analysis_warnings"] = _churn(cursor, bank_id, business_date)
    if compare_day is not None:  # the segments page's default comparison (the latest snapshot ≤ D - 30)
        cursor.execute(_MOVEMENT, {**params, "compare": compare_day})
        rows["analysis_movement"] = cursor.rowcount
    cursor.execute(
        "INSERT INTO reports_analysisday (bank_id, business_date, compare_date, warned_on, method_version) "
        "VALUES (%s, %s, %s, %s, %s)",
        [bank_id, business_date, compare_day, warned_on, METHOD_VERSION],
    )
    return rows


def run(bank, business_date):
    """precompute() in its own cursor (tests, backfills)."""
    with connection.cursor() as cursor:
        return precompute(cursor, bank, business_date)


def register():
    build.register_derived_step(precompute)
    snapshot_services.register_day_tables(DAY_TABLES)


# The pages' look-up of the marker (kept here for callers of precompute.marker).
marker = markers.marker
markers_cached = markers.markers_cached
