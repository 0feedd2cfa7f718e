"""The nightly roll-up of CustomerDay (RollupDay): per bank × business date × branch × manager ×
one report dimension, the customers and the sums the report pages show, written by the snapshot
build right after the CustomerDay rows, in the same transaction, by one INSERT … SELECT … GROUP BY
GROUPING SETS (one scan of the date's customer rows).

A row says, for its branch and manager (the customer's on the date) and its grain:
    stage    — per lifecycle stage;  tier — per tier;  star — per star rating;
    products — per (products held, product categories), what penetration and cross-sell read;
and for each: customer_count (how many), product_count (sum of products_held), aum, liabilities,
contribution, fee_income (sums). Every grain covers every customer once, so its rows add up to the
date's totals.

Each also has a branch level (grain "b:<grain>", manager_id NULL): the manager-level rows summed
per branch, read by the pages whose lines and filters need no manager (BRANCH below).

RollupMoveDay: the movement of each customer between the day before / the previous month's end
and the date (write_movement: one full join of the two dates' customer rows per compare date),
grouped by both sides' branch and manager, grain, value before and value after.

Idempotent per date: write() first deletes the date's rows of the bank (the build only calls it
inside a run that is not DONE yet). The report engine reads a date's roll-up when the date has one
(dates_with_rollup); older dates, built before the roll-up existed, keep reading CustomerDay."""

import datetime

from reports.snapshots import db
from reports.snapshots.models import (
    CustomerDay,
    HoldingBranchDay,
    HoldingDay,
    RollupDay,
    RollupMoveDay,
    TransactionBranchDay,
    TransactionDay,
)

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


# The branch level: the same rows summed over the managers of each branch (manager_id NULL), under
# the grain "b:<grain>" — a whole-bank or branch page (no manager in its filters or its lines)
# adds up one row per branch instead of one per manager (3,000 rows, not 20,000+, a grain at 1M
# customers). In the same table, so it shares its partitions, index and immutability.
BRANCH = "b:"
GRAINS = ("stage", "tier", "star", "products")

BRANCH_ROLLUP_SQL = f"""
INSERT INTO {RollupDay._meta.db_table}
    (bank_id, business_date, branch_id, manager_id, grain, lifecycle_stage, tier, star_rating, products_held,
     product_categories, customer_count, product_count, aum, liabilities, contribution, fee_income, method_version)
SELECT bank_id, business_date, branch_id, NULL, '{BRANCH}' || grain, lifecycle_stage, tier, star_rating, products_held,
       product_categories, sum(customer_count), sum(product_count), sum(aum), sum(liabilities), sum(contribution),
       sum(fee_income), {ROLLUP_VERSION}
FROM {RollupDay._meta.db_table}
WHERE bank_id = %(bank_id)s AND business_date = %(business_date)s AND grain IN {GRAINS}
GROUP BY bank_id, business_date, branch_id, grain, lifecycle_stage, tier, star_rating, products_held, product_categories
"""


def branch_grain(grain):
    return BRANCH + grain


def write(cursor, bank_id, business_date):
    """The roll-up rows of one bank and date from its CustomerDay rows, per manager then per
    branch (the date's older roll-up rows first deleted); returns how many rows were written."""
    cursor.execute(f"DELETE FROM {RollupDay._meta.db_table} WHERE bank_id = %s AND business_date = %s", [bank_id, business_date])
    cursor.execute(ROLLUP_SQL, {"bank_id": bank_id, "business_date": business_date})
    written = cursor.rowcount
    cursor.execute(BRANCH_ROLLUP_SQL, {"bank_id": bank_id, "business_date": business_date})
    return written + cursor.rowcount


MOVEMENT_SQL = f"""
INSERT INTO {RollupMoveDay._meta.db_table}
    (bank_id, business_date, compare_date, grain, branch_id, manager_id, then_branch_id, then_manager_id,
     before_value, after_value, customer_count, method_version)
SELECT %(bank_id)s, %(business_date)s, %(compare_date)s, g.grain, n.branch_id, n.manager_id, b.branch_id, b.manager_id,
       g.before_value, g.after_value, count(*), {ROLLUP_VERSION}
FROM (SELECT customer_id, branch_id, manager_id, lifecycle_stage, tier, star_rating FROM {CustomerDay._meta.db_table}
      WHERE bank_id = %(bank_id)s AND business_date = %(business_date)s) n
FULL JOIN (SELECT customer_id, branch_id, manager_id, lifecycle_stage, tier, star_rating FROM {CustomerDay._meta.db_table}
           WHERE bank_id = %(bank_id)s AND business_date = %(compare_date)s) b ON b.customer_id = n.customer_id
CROSS JOIN LATERAL (VALUES ('stage', b.lifecycle_stage, n.lifecycle_stage), ('tier', b.tier, n.tier),
                           ('star', b.star_rating::text, n.star_rating::text)) AS g (grain, before_value, after_value)
GROUP BY g.grain, n.branch_id, n.manager_id, b.branch_id, b.manager_id, g.before_value, g.after_value
"""


BRANCH_MOVEMENT_SQL = f"""
INSERT INTO {RollupMoveDay._meta.db_table}
    (bank_id, business_date, compare_date, grain, branch_id, manager_id, then_branch_id, then_manager_id,
     before_value, after_value, customer_count, method_version)
SELECT bank_id, business_date, compare_date, '{BRANCH}' || grain, branch_id, NULL, then_branch_id, NULL,
       before_value, after_value, sum(customer_count), {ROLLUP_VERSION}
FROM {RollupMoveDay._meta.db_table}
WHERE bank_id = %(bank_id)s AND business_date = %(business_date)s AND compare_date = %(compare_date)s AND grain IN {GRAINS}
GROUP BY bank_id, business_date, compare_date, grain, branch_id, then_branch_id, before_value, after_value
"""


def movement_compare_date(business_date):
    """The month-over-month comparison date: the previous month's last day."""
    return business_date.replace(day=1) - datetime.timedelta(days=1)


def movement_compare_dates(business_date):
    """The earlier dates whose movement to the date the build rolls up: the day before and the
    previous month's end (one date on the first of a month)."""
    return sorted({business_date - datetime.timedelta(days=1), movement_compare_date(business_date)})


def write_movement(cursor, bank_id, business_date):
    """The movement roll-up to the date from each of movement_compare_dates() that has customer
    rows (the date's older rows first deleted). Returns the rows written."""
    cursor.execute(
        f"DELETE FROM {RollupMoveDay._meta.db_table} WHERE bank_id = %s AND business_date = %s", [bank_id, business_date]
    )
    written = 0
    for compare_date in movement_compare_dates(business_date):
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {CustomerDay._meta.db_table} WHERE bank_id = %s AND business_date = %s)",
            [bank_id, compare_date],
        )
        if cursor.fetchone()[0]:
            dates = {"bank_id": bank_id, "business_date": business_date, "compare_date": compare_date}
            cursor.execute(MOVEMENT_SQL, dates)
            written += cursor.rowcount
            cursor.execute(BRANCH_MOVEMENT_SQL, dates)  # and per branch on both sides
            written += cursor.rowcount
    return written


# HoldingDay and TransactionDay summed per branch (no manager): the tables a page without a
# manager reads in their place (BRANCH_TABLES), a row per branch instead of one per manager.
BRANCH_TABLES = {HoldingDay: HoldingBranchDay, TransactionDay: TransactionBranchDay}
BRANCH_SQL = {
    HoldingBranchDay: f"""
INSERT INTO {HoldingBranchDay._meta.db_table}
    (bank_id, business_date, branch_id, product_id, category, currency, holders, accounts, balance, balance_base,
     method_version)
SELECT bank_id, business_date, branch_id, product_id, category, currency, sum(holders), sum(accounts), sum(balance),
       sum(balance_base), {ROLLUP_VERSION}
FROM {HoldingDay._meta.db_table} WHERE bank_id = %(bank_id)s AND business_date = %(business_date)s
GROUP BY bank_id, business_date, branch_id, product_id, category, currency
""",
    TransactionBranchDay: f"""
INSERT INTO {TransactionBranchDay._meta.db_table}
    (bank_id, business_date, branch_id, channel, txn_type, currency, count, amount_base, method_version)
SELECT bank_id, business_date, branch_id, channel, txn_type, currency, sum(count), sum(amount_base), {ROLLUP_VERSION}
FROM {TransactionDay._meta.db_table} WHERE bank_id = %(bank_id)s AND business_date = %(business_date)s
GROUP BY bank_id, business_date, branch_id, channel, txn_type, currency
""",
}


def write_branch(cursor, bank_id, business_date):
    """The per-branch holdings and transactions of the date (older rows first deleted): {table: rows}."""
    written = {}
    for model, sql in BRANCH_SQL.items():
        table = model._meta.db_table
        cursor.execute(f"DELETE FROM {table} WHERE bank_id = %s AND business_date = %s", [bank_id, business_date])
        cursor.execute(sql, {"bank_id": bank_id, "business_date": business_date})
        written[table] = cursor.rowcount
    return written


def branch_complete(model, bank_id, dates):
    """Whether every date among `dates` that has rows of `model` (HoldingDay, TransactionDay) has
    its per-branch rows too (rows written outside the build have not): one statement, an index
    probe per date and table."""
    dates = sorted({d for d in dates if d is not None})
    if bank_id is None or not dates:
        return False
    source, branch = model._meta.db_table, BRANCH_TABLES[model]._meta.db_table
    with db.connection().cursor() as cursor:
        cursor.execute(
            f"""SELECT bool_and(b.found IS NOT NULL OR s.found IS NULL) FROM unnest(%s::date[]) AS d
                LEFT JOIN LATERAL (SELECT 1 AS found FROM {source} WHERE bank_id = %s AND business_date = d LIMIT 1) s ON true
                LEFT JOIN LATERAL (SELECT 1 AS found FROM {branch} WHERE bank_id = %s AND business_date = d LIMIT 1) b ON true""",
            [dates, bank_id, bank_id],
        )
        return bool(cursor.fetchone()[0])


def step(cursor, bank, business_date):
    """The snapshot build's derived step (build.DERIVED_STEPS): the roll-ups of the date."""
    return {
        "rollup": write(cursor, bank.pk, business_date),
        "movement": write_movement(cursor, bank.pk, business_date),
        **write_branch(cursor, bank.pk, business_date),
    }


def has_movement(bank_id, business_date, compare_date):
    """Whether the movement from compare_date to business_date is rolled up."""
    if bank_id is None or business_date is None or compare_date is None:
        return False
    with db.connection().cursor() as cursor:
        cursor.execute(
            f"""SELECT EXISTS (SELECT 1 FROM {RollupMoveDay._meta.db_table}
                WHERE bank_id = %s AND business_date = %s AND compare_date = %s)""",
            [bank_id, business_date, compare_date],
        )
        return cursor.fetchone()[0]


def dates_with_rollup(bank_id, dates):
    """The dates among `dates` whose roll-up is written (one statement, on the reports' database)."""
    dates = sorted({d for d in dates if d is not None})
    if bank_id is None or not dates:
        return set()
    with db.connection().cursor() as cursor:
        # LATERAL … LIMIT 1, not EXISTS: PostgreSQL turns an EXISTS into a semi join that reads every
        # row of the bank's partitions (120 ms at 1M customers); this is one index probe per date.
        cursor.execute(
            f"""SELECT d::date FROM unnest(%s::date[]) AS d
                CROSS JOIN LATERAL (SELECT 1 FROM {RollupDay._meta.db_table} r
                                    WHERE r.bank_id = %s AND r.business_date = d LIMIT 1) AS found""",
            [dates, bank_id],
        )
        return {row[0] for row in cursor.fetchall()}
