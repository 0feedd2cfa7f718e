"""The nightly snapshot build: `build(bank, business_date)` writes one bank's snapshot rows of
one local business date (reports.snapshots.models), one set-based INSERT … SELECT per table.

What a row says, for the bank's business date D (its head office's local day, [day_start, day_end)):

Balances of D
    When the holdings feed delivered balances for D (customers_holdingbalance has rows of the bank
    for D), those: each with the base-currency amount the feed computed. Otherwise the holdings
    as they stand (not closed, opened on or before D), converted at D's middle rates: per currency
    the bank's latest posting on or before D (the nightly lifecycle job's rule; the base currency
    at 1). Each holding's base amount is rounded to the cent before anything adds it up, so a
    customer's AUM, a branch's total of HoldingDay and the sum of the customers behind it agree
    to the cent.

CustomerDay (every golden customer: merged_into IS NULL, created before day_end)
    stage, tier, stars, kind, branch and primary manager as the customer stands at the build
    (the night's lifecycle job has run: lifecycle.run_local_hour comes before
    reports.snapshot_run_local_hour); aum = asset balances, liabilities = liability balances
    (loans, cards) of D; contribution = Customer.contribution as its feed keeps it; fee_income =
    the fees charged on D (transactions of type "fee": debits less refunded credits, at D's
    rates); products held / their categories = distinct products / categories with a balance of
    D; transactions_30d = the customer's transactions in the 30 local days ending with D.

HoldingDay
    the same balances grouped by the customer's branch × primary manager × product × currency.

TransactionDay
    transactions with occurred_at in [day_start, day_end), by the customer's branch × manager ×
    channel × type × currency: count and turnover (amount, whatever the direction) at D's rates.

MeasureDay
    every measure of ocrm.reporting.measures(): its SQL run for the bank and D, stamped with its
    key and version. A row without a branch (a figure of staff outside any branch) is booked on
    the bank's head office.

RollupDay, RollupMoveDay (the first derived step: reports.snapshots.rollup)
    the customer rows just written summed per branch × manager × report dimension, and the
    movement from the day before and from the previous month's end to D, for the whole-bank report pages.

Idempotent and immutable: a SnapshotRun per (bank, D) — unique — is DONE once the rows are in;
a later call for D finds it and writes nothing. Everything of one build is one transaction: a
failure leaves no row, the run FAILED with its reason, and a rerun starts clean. Rows are never
updated (a trigger of migration 0002 refuses an UPDATE); retention drops whole months.
"""

import datetime

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.master.models import Customer, FxRate, Holding, HoldingBalance, Product, Transaction
from ocrm import reporting, tenants
from ocrm.errors import DomainError
from reports.snapshots import db, rollup
from reports.snapshots.models import CustomerDay, HoldingDay, MeasureDay, SnapshotRun, TransactionDay
from sysadmin.org.models import Bank, Branch

DEFAULT = "default"  # the build reads and writes the primary, never the report replica

# The version of each statement: stamped on every row it writes; raise it when a row's meaning changes.
CUSTOMER_VERSION = 1
HOLDING_VERSION = 1
TRANSACTION_VERSION = 1
TRANSACTIONS_WINDOW_DAYS = 30

FEE_TYPE = "fee"


# Derived steps (register_derived_step, from an app's ready()): step(cursor, bank, business_date)
# runs after the snapshot rows of the date are in, in the build's transaction; returns {table: rows}.
# The first is the report pages' roll-up of the customer rows (reports.snapshots.rollup).
DERIVED_STEPS = [rollup.step]


def register_derived_step(step):
    if step not in DERIVED_STEPS:
        DERIVED_STEPS.append(step)


class SnapshotError(DomainError):
    """The snapshot cannot be built; the message says why (for operators)."""


def day_bounds(zone, day):
    """The local day `day` of `zone` as UTC-aware instants [start, end)."""
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return start, end


# --- the SQL -----------------------------------------------------------------------------------

FX_CTE = f"""fx AS (
    SELECT DISTINCT ON (currency) currency, rate FROM {FxRate._meta.db_table}
    WHERE bank_id = %(bank_id)s AND as_of <= %(business_date)s
    ORDER BY currency, as_of DESC, effective_at DESC
)"""

# The balances of D, one row per holding: (customer_id, product_id, currency, balance, balance_base).
BALANCES_OF_THE_DAY = f"""bal AS (
    SELECT h.customer_id, h.product_id, h.currency, b.balance, b.balance_base
    FROM {HoldingBalance._meta.db_table} b
    JOIN {Holding._meta.db_table} h ON h.id = b.holding_id
    WHERE b.bank_id = %(bank_id)s AND b.business_date = %(business_date)s
)"""
BALANCES_AS_THEY_STAND = f"""bal AS (
    SELECT h.customer_id, h.product_id, h.currency, h.balance,
           round(CASE WHEN h.currency = %(base)s THEN h.balance ELSE h.balance * fx.rate END, 2) AS balance_base
    FROM {Holding._meta.db_table} h
    LEFT JOIN fx ON fx.currency = h.currency
    WHERE h.bank_id = %(bank_id)s AND h.status <> 'closed' AND (h.open_date IS NULL OR h.open_date <= %(business_date)s)
)"""

GOLDEN = "c.bank_id = %(bank_id)s AND c.merged_into_id IS NULL AND c.created_at < %(day_end)s"
IN_BASE = "CASE WHEN t.currency = %(base)s THEN t.amount ELSE t.amount * fx.rate END"

CUSTOMER_SQL = f"""
INSERT INTO {CustomerDay._meta.db_table}
    (bank_id, business_date, customer_id, branch_id, manager_id, kind, lifecycle_stage, tier, star_rating,
     aum, liabilities, contribution, fee_income, products_held, product_categories, transactions_30d, method_version)
WITH {FX_CTE}, {{balances}},
held AS (
    SELECT bal.customer_id,
           sum(bal.balance_base) FILTER (WHERE p.category = 'asset') AS aum,
           sum(bal.balance_base) FILTER (WHERE p.category = 'liability') AS liabilities,
           count(DISTINCT bal.product_id) AS products,
           string_agg(DISTINCT p.category, ',' ORDER BY p.category) AS categories
    FROM bal JOIN {Product._meta.db_table} p ON p.id = bal.product_id
    GROUP BY bal.customer_id
),
txn AS (
    SELECT t.customer_id, count(*) AS n30,
           sum(CASE WHEN t.direction = 'D' THEN 1 ELSE -1 END * {IN_BASE})
               FILTER (WHERE t.occurred_at >= %(day_start)s AND lower(t.txn_type) = '{FEE_TYPE}') AS fees
    FROM {Transaction._meta.db_table} t
    LEFT JOIN fx ON fx.currency = t.currency
    WHERE t.bank_id = %(bank_id)s AND t.occurred_at >= %(since)s AND t.occurred_at < %(day_end)s
    GROUP BY t.customer_id
)
SELECT c.bank_id, %(business_date)s, c.id, c.branch_id, c.primary_manager_id, c.kind, c.lifecycle_stage, c.tier,
       c.star_rating, coalesce(held.aum, 0), coalesce(held.liabilities, 0), c.contribution,
       round(coalesce(txn.fees, 0), 2), coalesce(held.products, 0), coalesce(held.categories, ''),
       coalesce(txn.n30, 0), {CUSTOMER_VERSION}
FROM {Customer._meta.db_table} c
LEFT JOIN held ON held.customer_id = c.id
LEFT JOIN txn ON txn.customer_id = c.id
WHERE {GOLDEN}
"""

HOLDING_SQL = f"""
INSERT INTO {HoldingDay._meta.db_table}
    (bank_id, business_date, branch_id, manager_id, product_id, category, currency, holders, accounts,
     balance, balance_base, method_version)
WITH {FX_CTE}, {{balances}}
SELECT %(bank_id)s, %(business_date)s, c.branch_id, c.primary_manager_id, bal.product_id, p.category, bal.currency,
       count(DISTINCT bal.customer_id), count(*), sum(bal.balance), sum(bal.balance_base), {HOLDING_VERSION}
FROM bal
JOIN {Customer._meta.db_table} c ON c.id = bal.customer_id
JOIN {Product._meta.db_table} p ON p.id = bal.product_id
WHERE {GOLDEN}
GROUP BY c.branch_id, c.primary_manager_id, bal.product_id, p.category, bal.currency
"""

TRANSACTION_SQL = f"""
INSERT INTO {TransactionDay._meta.db_table}
    (bank_id, business_date, branch_id, manager_id, channel, txn_type, currency, count, amount_base, method_version)
WITH {FX_CTE}
SELECT %(bank_id)s, %(business_date)s, c.branch_id, c.primary_manager_id, t.channel, t.txn_type, t.currency,
       count(*), round(sum({IN_BASE}), 2), {TRANSACTION_VERSION}
FROM {Transaction._meta.db_table} t
JOIN {Customer._meta.db_table} c ON c.id = t.customer_id
LEFT JOIN fx ON fx.currency = t.currency
WHERE t.bank_id = %(bank_id)s AND t.occurred_at >= %(day_start)s AND t.occurred_at < %(day_end)s AND {GOLDEN}
GROUP BY c.branch_id, c.primary_manager_id, t.channel, t.txn_type, t.currency
"""

MEASURE_SQL = f"""
INSERT INTO {MeasureDay._meta.db_table} (bank_id, business_date, branch_id, manager_id, measure, value, method_version)
SELECT %(bank_id)s, %(business_date)s, coalesce(m.branch_id, %(head_office)s), m.manager_id, %(measure_key)s,
       coalesce(m.value, 0), %(measure_version)s
FROM ({{sql}}) AS m (branch_id, manager_id, value)
"""


def _has_day_balances(cursor, params):
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {HoldingBalance._meta.db_table} WHERE bank_id = %(bank_id)s "
        "AND business_date = %(business_date)s)",
        params,
    )
    return cursor.fetchone()[0]


def _unrated(cursor, params, day_balances):
    """[(currency, an account)] held or transacted on D in a currency without a middle rate on or before D."""
    holdings = (
        ""
        if day_balances
        else f"""SELECT h.currency, min(h.account_number) FROM {Holding._meta.db_table} h
                 WHERE h.bank_id = %(bank_id)s AND h.status <> 'closed' AND h.currency <> %(base)s
                   AND h.currency NOT IN (SELECT currency FROM fx) GROUP BY h.currency
                 UNION ALL"""
    )
    cursor.execute(
        f"""WITH {FX_CTE}
            {holdings}
            SELECT t.currency, min(h.account_number) FROM {Transaction._meta.db_table} t
            JOIN {Holding._meta.db_table} h ON h.id = t.holding_id
            WHERE t.bank_id = %(bank_id)s AND t.occurred_at >= %(since)s AND t.occurred_at < %(day_end)s
              AND t.currency <> %(base)s AND t.currency NOT IN (SELECT currency FROM fx)
            GROUP BY t.currency ORDER BY 1""",
        params,
    )
    return cursor.fetchall()


def statements(bank, business_date, day_balances):
    """[(table key, SQL, params)] of the build for one bank and date (the bench runs them too)."""
    params = parameters_for(bank, business_date)
    balances = BALANCES_OF_THE_DAY if day_balances else BALANCES_AS_THEY_STAND
    found = [
        ("customers", CUSTOMER_SQL.format(balances=balances), params),
        ("holdings", HOLDING_SQL.format(balances=balances), params),
        ("transactions", TRANSACTION_SQL, params),
    ]
    for measure in reporting.measures():
        found.append(
            (
                f"measure:{measure.key}",
                MEASURE_SQL.format(sql=measure.sql.strip().rstrip(";")),
                {**params, "measure_key": measure.key, "measure_version": measure.version},
            )
        )
    return found


def parameters_for(bank, business_date):
    zone = tenants.bank_zone(bank.pk)
    day_start, day_end = day_bounds(zone, business_date)
    roots = Branch.objects.using(DEFAULT).filter(bank_id=bank.pk, parent__isnull=True).order_by("path")
    head_office = roots.values_list("pk", flat=True).first()
    return {
        "bank_id": bank.pk,
        "business_date": business_date,
        "base": bank.base_currency,
        "day_start": day_start,
        "day_end": day_end,
        "since": day_end - datetime.timedelta(days=TRANSACTIONS_WINDOW_DAYS),
        "head_office": head_office,
    }


# --- the build ---------------------------------------------------------------------------------


def _bank(bank):
    return bank if isinstance(bank, Bank) else Bank.objects.using(DEFAULT).get(pk=bank)


def _date(business_date):
    return datetime.date.fromisoformat(business_date) if isinstance(business_date, str) else business_date


def build(bank, business_date, now=None):
    """Build the snapshots of `bank` for its local `business_date` (see the module docstring);
    returns the SnapshotRun. A date already DONE is returned as it is, nothing written.
    SnapshotError (the run recorded FAILED) when the day has not ended or a rate is missing."""
    bank, business_date = _bank(bank), _date(business_date)
    now = now or timezone.now()
    run, _created = SnapshotRun.objects.using(DEFAULT).get_or_create(
        bank_id=bank.pk, business_date=business_date, defaults={"started_at": now}
    )
    if run.status == SnapshotRun.Status.DONE:
        return run
    try:
        with transaction.atomic(using=DEFAULT):
            locked = SnapshotRun.objects.using(DEFAULT).select_for_update().get(pk=run.pk)
            if locked.status == SnapshotRun.Status.DONE:  # another worker finished it meanwhile
                return locked
            rows = _write(bank, business_date, now)
            locked.status = SnapshotRun.Status.DONE
            locked.started_at = now
            locked.finished_at = timezone.now()
            locked.rows = rows
            locked.error = ""
            locked.save(using=DEFAULT)
            return locked
    except Exception as exc:
        SnapshotRun.objects.using(DEFAULT).filter(pk=run.pk).update(
            status=SnapshotRun.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000]
        )
        raise


def _write(bank, business_date, now):
    zone = tenants.bank_zone(bank.pk)
    if business_date >= now.astimezone(zone).date():
        raise SnapshotError(
            _("The business date %(date)s has not ended yet in %(bank)s's time zone.")
            % {"date": business_date.isoformat(), "bank": bank.code}
        )
    params = parameters_for(bank, business_date)
    rows = {}
    with connection.cursor() as cursor:
        day_balances = _has_day_balances(cursor, params)
        missing = _unrated(cursor, params, day_balances)
        if missing:
            raise SnapshotError(
                _("No exchange rate on or before %(date)s for %(currencies)s. Load the rates and run again.")
                % {
                    "date": business_date.isoformat(),
                    "currencies": "; ".join(f"{cur} (e.g. account {account})" for cur, account in missing),
                }
            )
        # Older rows of a run that never finished cannot exist (one transaction), but a row
        # written outside the build (by hand) would double a figure: the date starts empty.
        for model in (CustomerDay, HoldingDay, TransactionDay, MeasureDay):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE bank_id = %s AND business_date = %s", [bank.pk, business_date]
            )
        for key, sql, statement_params in statements(bank, business_date, day_balances):
            if key.startswith("measure:"):
                try:
                    with transaction.atomic(using=DEFAULT):
                        cursor.execute(sql, statement_params)
                except DatabaseError as exc:
                    raise SnapshotError(
                        _("The measure %(key)s failed: %(error)s") % {"key": key.split(":", 1)[1], "error": exc}
                    ) from exc
                rows["measures"] = rows.get("measures", 0) + cursor.rowcount
            else:
                cursor.execute(sql, statement_params)
                rows[key] = cursor.rowcount
        for step in DERIVED_STEPS:
            rows.update(step(cursor, bank, business_date) or {})
    rows.setdefault("measures", 0)
    return rows


def last_done(bank_id, on_or_before=None, using=None):
    """The latest DONE business date of the bank (on or before a date), None when there is none:
    the "as of" of report pages."""
    runs = SnapshotRun.objects.using(using or db.reading()).filter(bank_id=bank_id, status=SnapshotRun.Status.DONE)
    if on_or_before is not None:
        runs = runs.filter(business_date__lte=on_or_before)
    return runs.order_by("-business_date").values_list("business_date", flat=True).first()
