"""The nightly roll-up of CustomerDay (RollupDay): per bank × business date × branch × manager ×
one report dimension, the customers and the sums the report pages show, written by the snapshot
build right after the CustomerDay rows, in the same transaction, by one INSERT … SELECT … GROUP BY
GROUPING SETS (one scan of the date's customer rows).

A row says, for its branch and manager (the customer's on the date) and its grain:
    stage    — per lifecycle stage;  tier — per tier;  star — per star rating;
    products — per (products held, product categories), what penetration and cross-sell read;
and for each: customer_count (how many), product_count (sum of products_held), aum, liabilities, contribution,
fee_income (sums). Every grain covers every customer once, so its rows add up to the date's totals.

Idempotent per date: write() first deletes the date's rows of the bank (the build only calls it
inside a run that is not DONE yet). The report engine reads a date's roll-up when the date has one
(dates_with_rollup); older dates, built before the roll-up existed, keep reading CustomerDay."""

from reports.snapshots import db
from reports.snapshots.models import CustomerDay, RollupDay

ROLLUP_VERSION = 1

GRAIN_SQL = (
    "CASE WHEN GROUPING(lifecycle_stage) = 0 THEN 'stage' WHEN GROUPING(tier) = 0 THEN 'tier' "
    "WHEN GROUPING(star_rating) = 0 THEN 'star' ELSE 'products' END"
)

ROLLUP_SQL = f"""
INSERT INTO {RollupDay._meta.db_table}
    (bank_id, business_date, branch_id, manager_id, grain, lifecycle_stage, tier, star_rating, products_held,
     product_categories, customer_count, product_count, aum, liabilities, contribution, fee_income, method_version)
SELECT bank_id, business_date, branch_id, manager_id, {GRAIN_SQL}, lifecycle_stage, tier, star_rating, products_held,
       product_categories, count(*), sum(products_held), sum(aum), sum(liabilities), sum(contribution), sum(fee_income),
       {ROLLUP_VERSION}
FROM {CustomerDay._meta.db_table}
WHERE bank_id = %(bank_id)s AND business_date = %(business_date)s
GROUP BY bank_id, business_date, branch_id, manager_id,
    GROUPING SETS ((lifecycle_stage), (tier), (star_rating), (products_held, product_categories))
"""


def write(cursor, bank_id, business_date):
    """The roll-up rows of one bank and date from its CustomerDay rows (the date's older roll-up
    rows first deleted); returns how many rows were written."""
    cursor.execute(f"DELETE FROM {RollupDay._meta.db_table} WHERE bank_id = %s AND business_date = %s", [bank_id, business_date])
    cursor.execute(ROLLUP_SQL, {"bank_id": bank_id, "business_date": business_date})
    return cursor.rowcount


def dates_with_rollup(bank_id, dates):
    """The dates among `dates` whose roll-up is written (one statement, on the reports' database)."""
    dates = sorted({d for d in dates if d is not None})
    if bank_id is None or not dates:
        return set()
    with db.connection().cursor() as cursor:
        cursor.execute(
            f"""SELECT d::date FROM unnest(%s::date[]) AS d
                WHERE EXISTS (SELECT 1 FROM {RollupDay._meta.db_table} r WHERE r.bank_id = %s AND r.business_date = d)""",
            [dates, bank_id],
        )
        return {row[0] for row in cursor.fetchall()}
