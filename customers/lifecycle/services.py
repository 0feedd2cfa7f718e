"""The nightly lifecycle, rating and tiering batch: `run_nightly(bank, business_date)`.

For every active (not merged) customer of one bank, in one set-based SQL statement:

AUM (base currency)
    The sum of the customer's open asset holdings (product category "asset", status not
    closed): `Holding.balance` converted with the bank's latest `FxRate` on or before the
    business date (the base currency converts at 1). Holding balances are what the
    holdings feed loaded for the business date before the nightly run; the daily/month-end
    history (`HoldingBalance`) is only read for the trend. A non-base currency without a
    rate stops the run with a message naming the currency and an account: an AUM that
    silently leaves out a currency would move customers down a tier.

Lifecycle stage, first rule that holds (parameters per bank, ocrm.parameters):
    1. exited    - the customer holds at least one holding and all of them are closed;
    2. prospect  - no holding at all and no customer-initiated transaction yet (a prospect
                   stays a prospect until its first holding or customer-initiated transaction);
    3. dormant   - no customer activity for `lifecycle.dormant_after_days` days up to the
                   business date. Activity = the latest customer-initiated transaction
                   (`lifecycle.financial_only`: financial ones only) or the latest account
                   opening, whichever is later; none at all counts as dormant;
    4. declining - AUM fell by at least `lifecycle.declining_aum_drop_percent` % against the
                   AUM of `lifecycle.trend_months` months earlier: the sum of the asset
                   holdings' `balance_base` on the bank's latest `HoldingBalance` date on or
                   before that day (within one month of it; no such history, no trend);
    5. active    - everything else.

Tier and stars: the first entry of `rating.tier_thresholds` / `rating.star_thresholds`
(JSON lists, highest first) whose `aum` or `contribution` floor the customer reaches
(either route qualifies; a missing key is no route); no entry reached: tier "mass",
0 stars. Contribution is `Customer.contribution` as its feed keeps it.

Idempotent for a business date. History rows (LifecycleChange, RatingChange) are keyed by
(customer, business date) (unique indexes of migration 0007): a rerun compares against the
state *before* that date's first run (the history row's "from" values), rewrites a row
whose outcome changed, deletes one whose change disappeared, and leaves identical rows
alone, so a rerun writes nothing more. Customers are updated only where a value differs.
Everything happens in one transaction: a failed run leaves nothing half-written.

Each changed stage or rating row carries a reason naming the rule and the figures. After
commit, each manager whose customers changed stage gets one notification with their count
(deduplicated per bank and date: a rerun sends nothing twice); the "Lifecycle changes"
page lists those customers.
"""

import dataclasses
import datetime
import decimal

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.lifecycle.models import LifecycleChange
from customers.master.models import Customer
from ocrm import links, parameters, tenants
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.batch.per_bank import BusinessDay, PerBankJob, active_banks
from ocrm.notifications.services import notify
from sysadmin.org.models import Bank, Staff

JOB = "customers_lifecycle"


TIERS = {value for value, _label in Customer.Tier.choices}


class LifecycleError(Exception):
    """The run cannot go ahead; the message says why (for operators)."""


@dataclasses.dataclass(frozen=True)
class Rules:
    dormant_after_days: int
    declining_drop_percent: decimal.Decimal
    trend_months: int
    financial_only: bool
    tiers: list  # [(tier, aum floor or None, contribution floor or None)], highest first
    stars: list  # [(stars, aum floor or None, contribution floor or None)], highest first


def _floors(key, entry, index):
    floors = []
    for name in ("aum", "contribution"):
        value = entry.get(name)
        if value is None:
            floors.append(None)
            continue
        try:
            number = decimal.Decimal(str(value))
        except decimal.InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number < 0:
            raise LifecycleError(f"System parameter {key}, entry {index + 1}: {name} must be a number >= 0, not {value!r}.")
        floors.append(number)
    if floors == [None, None]:
        raise LifecycleError(f"System parameter {key}, entry {index + 1}: give an aum or a contribution floor.")
    return floors


def _thresholds(key, bank_id, label, check):
    entries = parameters.get(key, bank_id)
    if not isinstance(entries, list):
        raise LifecycleError(f"System parameter {key} must be a JSON list of objects.")
    rules = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or label not in entry:
            raise LifecycleError(f'System parameter {key}, entry {index + 1}: an object with "{label}" is expected.')
        value = entry[label]
        if not check(value):
            raise LifecycleError(f"System parameter {key}, entry {index + 1}: {label} {value!r} is not allowed.")
        rules.append((value, *_floors(key, entry, index)))
    return rules


def rules_for(bank_id):
    """The bank's rules (its own parameter values, else the global ones); LifecycleError
    names the parameter and the entry when one is unusable."""
    drop = parameters.get("lifecycle.declining_aum_drop_percent", bank_id)
    if not 0 < drop <= 100:
        raise LifecycleError(f"System parameter lifecycle.declining_aum_drop_percent must lie in (0, 100], not {drop}.")
    return Rules(
        dormant_after_days=parameters.get("lifecycle.dormant_after_days", bank_id),
        declining_drop_percent=drop,
        trend_months=parameters.get("lifecycle.trend_months", bank_id),
        financial_only=parameters.get("lifecycle.financial_only", bank_id),
        tiers=_thresholds("rating.tier_thresholds", bank_id, "tier", lambda v: v in TIERS),
        stars=_thresholds(
            "rating.star_thresholds", bank_id, "stars", lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 7
        ),
    )


def local_yesterday(bank_id, now=None):
    """The business date a nightly run works for: yesterday in the bank's head-office zone."""
    return NIGHTLY.business_date(bank_id, now)


def _case(rules, default, params, prefix):
    """CASE WHEN aum >= floor OR contribution >= floor THEN value ... ELSE default END."""
    branches = []
    for index, (value, aum_floor, contribution_floor) in enumerate(rules):
        tests = []
        for column, floor in (("aum", aum_floor), ("contribution", contribution_floor)):
            if floor is not None:
                params[f"{prefix}_{column}_{index}"] = floor
                tests.append(f"{column} >= %({prefix}_{column}_{index})s")
        params[f"{prefix}_value_{index}"] = value
        branches.append(f"WHEN {' OR '.join(tests)} THEN %({prefix}_value_{index})s")
    params[f"{prefix}_default"] = default
    return f"CASE {' '.join(branches)} ELSE %({prefix}_default)s END" if branches else f"%({prefix}_default)s"


# The CTEs that compute every customer's new AUM, stage and rating. `measured` has one row
# per active customer of the bank; `classified` adds the outcome.
CLASSIFICATION_SQL = """
fx AS (
    SELECT DISTINCT ON (currency) currency, rate FROM customers_fxrate
    WHERE bank_id = %(bank)s AND as_of <= %(business_date)s ORDER BY currency, as_of DESC, effective_at DESC
),
held AS (
    SELECT h.customer_id,
           count(*) AS holdings,
           count(*) FILTER (WHERE h.status <> 'closed') AS open_holdings,
           max(h.open_date) AS last_opened,
           sum(CASE WHEN h.currency = %(base)s THEN h.balance ELSE h.balance * fx.rate END)
               FILTER (WHERE p.category = 'asset' AND h.status <> 'closed') AS aum,
           count(*) FILTER (WHERE p.category = 'asset' AND h.status <> 'closed' AND h.currency <> %(base)s
                            AND fx.rate IS NULL) AS unconverted
    FROM customers_holding h
    JOIN customers_product p ON p.id = h.product_id
    LEFT JOIN fx ON fx.currency = h.currency
    WHERE h.bank_id = %(bank)s
    GROUP BY h.customer_id
),
activity AS (
    SELECT customer_id, max(occurred_at) AS last_at FROM customers_transaction
    WHERE bank_id = %(bank)s AND customer_initiated AND (is_financial OR NOT %(financial_only)s)
      AND occurred_at < %(day_end)s
    GROUP BY customer_id
),
trend AS (
    SELECT b.customer_id, sum(b.balance_base) AS aum_then
    FROM customers_holdingbalance b
    JOIN customers_holding h ON h.id = b.holding_id
    JOIN customers_product p ON p.id = h.product_id
    WHERE b.bank_id = %(bank)s AND b.business_date = %(trend_date)s AND p.category = 'asset'
    GROUP BY b.customer_id
),
measured AS (
    SELECT c.id, c.primary_manager_id, c.lifecycle_stage AS stage_now, c.tier AS tier_now,
           c.star_rating AS stars_now, c.aum AS aum_now, c.contribution,
           round(coalesce(held.aum, 0), 2) AS aum,
           coalesce(held.holdings, 0) AS holdings, coalesce(held.open_holdings, 0) AS open_holdings,
           coalesce(held.unconverted, 0) AS unconverted, activity.last_at IS NOT NULL AS ever_active,
           %(business_date)s - greatest((activity.last_at AT TIME ZONE %(zone)s)::date, held.last_opened) AS idle_days,
           trend.aum_then
    FROM customers_customer c
    LEFT JOIN held ON held.customer_id = c.id
    LEFT JOIN activity ON activity.customer_id = c.id
    LEFT JOIN trend ON trend.customer_id = c.id
    WHERE c.bank_id = %(bank)s AND c.merged_into_id IS NULL
),
classified AS (
    SELECT m.*,
           CASE WHEN holdings > 0 AND open_holdings = 0 THEN 'exited'
                WHEN holdings = 0 AND NOT ever_active THEN 'prospect'
                WHEN idle_days IS NULL OR idle_days >= %(dormant_days)s THEN 'dormant'
                WHEN aum_then > 0 AND aum <= aum_then * (1 - %(drop_percent)s / 100.0) THEN 'declining'
                ELSE 'active' END AS stage_new,
           {tier_case} AS tier_new,
           {stars_case} AS stars_new
    FROM measured m
)
"""


# The reason texts name the rule that decided and its figures; computed only for the rows
# that change (a format() per customer would cost more than the classification's UPDATE).
STAGE_REASON_SQL = """
CASE WHEN x.holdings > 0 AND x.open_holdings = 0 THEN format('exited: all %%s holdings closed', x.holdings)
     WHEN x.holdings = 0 AND NOT x.ever_active THEN 'prospect: no holding and no customer-initiated transaction yet'
     WHEN x.idle_days IS NULL THEN 'dormant: no customer activity recorded'
     WHEN x.idle_days >= %(dormant_days)s
         THEN format('dormant: no customer activity for %%s days (lifecycle.dormant_after_days = %%s)',
                     x.idle_days, %(dormant_days)s)
     WHEN x.stage_new = 'declining'
         THEN format('declining: AUM fell %%s%%%% in %%s months, %%s -> %%s (lifecycle.declining_aum_drop_percent = %%s)',
                     round((x.aum_then - x.aum) * 100 / x.aum_then, 1), %(trend_months)s, round(x.aum_then, 2), x.aum,
                     %(drop_percent)s)
     ELSE format('active: last customer activity %%s days ago', x.idle_days) END
"""


RATING_REASON_SQL = (
    "format('AUM %%s, contribution %%s: tier %%s, %%s stars (rating.tier_thresholds, "
    "rating.star_thresholds)', x.aum, x.contribution, x.tier_new, x.stars_new)"
)


# The nightly run itself: the classification, then (all in the same statement, one snapshot)
# the customers that differ, the day's history rows (upserted or withdrawn), and the counts.
# The history rows of a date are often missing from the statistics (another bank's run wrote
# them minutes ago): the planner then took the history table for empty and ran a nested loop
# of every history row over every customer (minutes instead of seconds). So withdrawals look
# their ids up once (= ANY(ARRAY(...))), and run_nightly analyses both history tables first.
RUN_SQL = """
WITH {classification},
before AS (
    SELECT x.*, coalesce(lc.stage_from, x.stage_now) AS stage_before, lc.id AS lifecycle_row,
           coalesce(rc.tier_from, x.tier_now) AS tier_before,
           CASE WHEN rc.id IS NULL THEN x.stars_now ELSE rc.stars_from END AS stars_before, rc.id AS rating_row
    FROM classified x
    LEFT JOIN customers_lifecyclechange lc
        ON lc.customer_id = x.id AND lc.bank_id = %(bank)s AND lc.business_date = %(business_date)s
    LEFT JOIN customers_ratingchange rc
        ON rc.customer_id = x.id AND rc.bank_id = %(bank)s AND rc.business_date = %(business_date)s
),
updated AS (
    UPDATE customers_customer c
    SET lifecycle_stage = x.stage_new, tier = x.tier_new, star_rating = x.stars_new, aum = x.aum,
        updated_at = %(now)s
    FROM before x
    WHERE c.id = x.id
      AND (c.lifecycle_stage, c.tier, c.star_rating, c.aum) IS DISTINCT FROM (x.stage_new, x.tier_new, x.stars_new, x.aum)
    RETURNING c.id
),
stage_rows AS (
    INSERT INTO customers_lifecyclechange (bank_id, customer_id, stage_from, stage_to, changed_at, business_date, reason)
    SELECT %(bank)s, x.id, x.stage_before, x.stage_new, %(now)s, %(business_date)s, left({stage_reason}, 200)
    FROM before x WHERE x.stage_new <> x.stage_before
    ON CONFLICT (customer_id, business_date) WHERE business_date IS NOT NULL DO UPDATE
        SET stage_to = EXCLUDED.stage_to, reason = EXCLUDED.reason, changed_at = EXCLUDED.changed_at
        WHERE (customers_lifecyclechange.stage_to, customers_lifecyclechange.reason)
              IS DISTINCT FROM (EXCLUDED.stage_to, EXCLUDED.reason)
    RETURNING 1
),
stage_withdrawn AS (
    DELETE FROM customers_lifecyclechange
    WHERE id = ANY(ARRAY(SELECT lifecycle_row FROM before WHERE lifecycle_row IS NOT NULL AND stage_new = stage_before))
    RETURNING 1
),
rating_rows AS (
    INSERT INTO customers_ratingchange (bank_id, customer_id, tier_from, tier_to, stars_from, stars_to, changed_at,
                                        business_date, reason)
    SELECT %(bank)s, x.id, x.tier_before, x.tier_new, x.stars_before, x.stars_new, %(now)s, %(business_date)s,
           left({rating_reason}, 200)
    FROM before x WHERE (x.tier_new, x.stars_new) IS DISTINCT FROM (x.tier_before, x.stars_before)
    ON CONFLICT (customer_id, business_date) WHERE business_date IS NOT NULL DO UPDATE
        SET tier_to = EXCLUDED.tier_to, stars_to = EXCLUDED.stars_to, reason = EXCLUDED.reason,
            changed_at = EXCLUDED.changed_at
        WHERE (customers_ratingchange.tier_to, customers_ratingchange.stars_to, customers_ratingchange.reason)
              IS DISTINCT FROM (EXCLUDED.tier_to, EXCLUDED.stars_to, EXCLUDED.reason)
    RETURNING 1
),
rating_withdrawn AS (
    DELETE FROM customers_ratingchange
    WHERE id = ANY(ARRAY(SELECT rating_row FROM before WHERE rating_row IS NOT NULL
                         AND (tier_new, stars_new) IS NOT DISTINCT FROM (tier_before, stars_before)))
    RETURNING 1
)
SELECT count(*),
       count(*) FILTER (WHERE stage_new <> stage_before),
       count(*) FILTER (WHERE (tier_new, stars_new) IS DISTINCT FROM (tier_before, stars_before)),
       count(*) FILTER (WHERE unconverted > 0),
       (SELECT count(*) FROM updated),
       (SELECT count(*) FROM stage_rows) + (SELECT count(*) FROM stage_withdrawn)
           + (SELECT count(*) FROM rating_rows) + (SELECT count(*) FROM rating_withdrawn)
FROM before
"""


def trend_date(bank_id, business_date, months):
    """The bank's latest balance-history date on or before `months` months before the
    business date, within one month of it; None when the history does not reach back."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(business_date) FROM customers_holdingbalance WHERE bank_id = %s "
            "AND business_date <= (%s::date - make_interval(months => %s))::date "
            "AND business_date > (%s::date - make_interval(months => %s + 1))::date",
            [bank_id, business_date, months, business_date, months],
        )
        return cursor.fetchone()[0]


def classification(bank, business_date, rules=None):
    """(SQL of the classification CTEs, their parameters) for one bank and business date."""
    if not isinstance(bank, Bank):
        bank = Bank.objects.get(pk=bank)
    rules = rules or rules_for(bank.pk)
    zone = tenants.bank_zone(bank.pk)
    day_end = datetime.datetime.combine(business_date + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    params = {
        "bank": bank.pk,
        "business_date": business_date,
        "base": bank.base_currency,
        "day_end": day_end,
        "zone": getattr(zone, "key", "UTC"),
        "financial_only": rules.financial_only,
        "dormant_days": rules.dormant_after_days,
        "drop_percent": rules.declining_drop_percent,
        "trend_months": rules.trend_months,
        "trend_date": trend_date(bank.pk, business_date, rules.trend_months),
    }
    sql = CLASSIFICATION_SQL.format(
        tier_case=_case(rules.tiers, Customer.Tier.MASS.value, params, "tier"),
        stars_case=_case(rules.stars, 0, params, "stars"),
    )
    return sql, params


def _unconverted_example(bank, business_date):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT h.currency, min(h.account_number) FROM customers_holding h "
            "JOIN customers_product p ON p.id = h.product_id "
            "WHERE h.bank_id = %s AND p.category = 'asset' AND h.status <> 'closed' AND h.currency <> %s "
            "AND NOT EXISTS (SELECT 1 FROM customers_fxrate f WHERE f.bank_id = h.bank_id AND f.currency = h.currency "
            "AND f.as_of <= %s) GROUP BY h.currency ORDER BY h.currency",
            [bank.pk, bank.base_currency, business_date],
        )
        return cursor.fetchall()


def run_nightly(bank, business_date, run=None, actor=None):
    """Classify every active customer of `bank` for `business_date` (see the module
    docstring) in one transaction. Returns the counts; `run` (an ocrm.batch.runs RunHandle)
    gets progress and counts. LifecycleError when a rule or the data stops the run."""
    if not isinstance(bank, Bank):
        bank = Bank.objects.get(pk=bank)
    if isinstance(business_date, str):
        business_date = datetime.date.fromisoformat(business_date)
    if business_date >= timezone.now().astimezone(tenants.bank_zone(bank.pk)).date():
        raise LifecycleError(f"The business date {business_date.isoformat()} has not ended yet in {bank.code}'s time zone.")
    later = (
        JobRun.objects.filter(job=JOB, bank_id=bank.pk, status=JobRun.Status.SUCCEEDED, business_date__gt=business_date)
        .order_by("-business_date")
        .values_list("business_date", flat=True)
        .first()
    )
    if later is not None:
        # Stages and ratings are kept on the customer: an older date would turn them back.
        raise LifecycleError(
            f"{bank.code} has already run for the later business date {later.isoformat()}; "
            f"an earlier date cannot be run after it."
        )
    rules = rules_for(bank.pk)
    if run is not None:
        run.set_total(2)
    with connection.cursor() as cursor:
        # Fresh statistics of the history tables (see RUN_SQL): a sample, well under a second;
        # outside the run's transaction when there is none around, so its lock ends at once.
        cursor.execute("ANALYZE customers_lifecyclechange, customers_ratingchange")
    with transaction.atomic():
        sql, params = classification(bank, business_date, rules)
        params["now"] = timezone.now()
        statement = RUN_SQL.format(
            classification=sql.strip(), stage_reason=STAGE_REASON_SQL.strip(), rating_reason=RATING_REASON_SQL
        )
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            customers, stage_changes, rating_changes, unconverted, updated, history_writes = cursor.fetchone()
        if unconverted:
            missing = "; ".join(
                f"{currency} (e.g. account {account})" for currency, account in _unconverted_example(bank, business_date)
            )
            # Raising rolls back everything the statement wrote.
            raise LifecycleError(
                f"No exchange rate on or before {business_date.isoformat()} for {missing}: "
                f"{unconverted} customers' AUM cannot be computed. Load the rates and run again."
            )
        counts = {
            "customers": customers,
            "stage_changes": stage_changes,
            "rating_changes": rating_changes,
            "customers_updated": updated,
            "history_rows_written": history_writes,
        }
        if run is not None:
            run.count(**counts)
            run.advance(1)
        audit.record(
            AuditLog.Action.JOB,
            bank,
            actor=actor,
            bank_id=bank.pk,
            object_repr=f"lifecycle and rating {business_date.isoformat()}",
            detail={"event": "lifecycle_run", "business_date": business_date, **counts, "trend_date": params["trend_date"]},
        )
        managers = notify_managers(bank.pk, business_date)
        counts["managers_notified"] = managers
    if run is not None:
        run.count(managers_notified=managers)
        run.advance(1)
    return counts


def notify_managers(bank_id, business_date):
    """One notification per manager with how many of their customers changed stage on the
    date, sent after commit; deduplicated per bank and date. Returns the managers' number."""
    per_manager = dict(
        LifecycleChange.objects.filter(bank_id=bank_id, business_date=business_date, customer__primary_manager__isnull=False)
        .values_list("customer__primary_manager")
        .annotate(n=Count("id"))
        .order_by()
    )
    if not per_manager:
        return 0
    link = links.url("lifecycle_changes") + f"?business_date={business_date.isoformat()}"

    def send():
        recipients = Staff.objects.filter(pk__in=per_manager, is_active=True).only("id", "bank_id", "language")
        notify(
            recipients,
            _("Lifecycle stage changes"),
            lambda staff: (
                ngettext(
                    "One of your customers changed lifecycle stage on %(date)s.",
                    "%(count)d of your customers changed lifecycle stage on %(date)s.",
                    per_manager[staff.pk],
                )
                % {"count": per_manager[staff.pk], "date": business_date.isoformat()}
            ),
            link=link,
            dedupe_key=f"lifecycle:{bank_id}:{business_date.isoformat()}",
            event="lifecycle_change",
        )

    transaction.on_commit(send)
    return len(per_manager)


def _nightly_scope(run, scope):
    run_nightly(scope.bank_id, scope.business_date, run=run, actor=run.run.triggered_by)


# Every active bank, for its local yesterday, once its head office's local time has passed
# lifecycle.run_local_hour (the beat ticks hourly: each bank's night comes at another tick).
NIGHTLY = PerBankJob(
    JOB, _nightly_scope, BusinessDay(days_back=1, not_before_hour="lifecycle.run_local_hour"), banks=active_banks
)
