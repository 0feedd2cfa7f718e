"""Profit statements (issue 17, suite `statements`): the monthly statement job's computation
against one hand-written INSERT ... SELECT that computes the same shares, same run, and a rerun
that must write a byte-identical statement.

    make bench BENCH_ARGS="--suite statements --size medium|large"   (small: through `python -m bench`'s set-up, size="small")

A bench bank (XBB: Shanghai, London) with a partner bank (XBP: Hong Kong) under an agreement;
one active rule of three shares (a fixed amount to the servicing side, then 33.3333% / 66.6667%,
so every event exercises the largest-remainder step); revenue events written set-based over one
month (small 100k, medium 1M, large 10M), a fifth in GBP (converted at the period's rate), a
third served by the partner bank, and one reversal per hundred events (half the original).

* services.compute_statement(bank, month): rate check, statements per counterpart, the lines'
  INSERT ... SELECT (rule matching, conversion, allocation) and the totals, in one transaction;
* baseline: one hand-written INSERT ... SELECT into a plain table keyed by (event, share), knowing there is one rule
  and one rate per currency (no matching, no statement rows), with the same allocation; its
  lines are checked equal to the statement's (count, sum, and an md5 over all lines);
* rerun: compute_statement again; the md5 of the canonical lines (no row ids) must be equal.
Targets: statement computation <= 2x the hand-written INSERT ... SELECT; rerun byte-identical."""

import datetime
import time
from decimal import Decimal

from django.db import connection, transaction

from bench.targets import Targets
from crossborder.agreements.models import CrossBorderAgreement
from crossborder.profitsharing import services
from crossborder.profitsharing.models import ProfitShareRule, RevenueEvent
from customers.master.models import FxRate
from sysadmin.org.models import Bank, Branch
from tests.factories import make_branch, make_customer

SIZES = {"small": 100_000, "medium": 1_000_000, "large": 10_000_000}
PERIOD = datetime.date(2026, 10, 1)
BANK, PARTNER = "XBB", "XBP"

BASELINE_SQL = """
INSERT INTO crossborder_profitstatementline (
    statement_id, event_id, rule_id, position, side, branch_id, manager_id, event_amount_minor,
    event_currency, converted_minor, amount_minor, fx_rate_id, fx_rate_value, fx_rate_date, reversal_reason)
WITH ev AS (
    SELECT e.id, e.originating_branch_id, e.servicing_branch_id, e.amount_minor AS original, e.currency,
           e.reversal_reason, sb.bank_id AS counterpart_id, r.id AS rate_id, r.as_of AS rate_date,
           CASE WHEN e.currency = %(currency)s THEN 1 ELSE r.rate END AS rate_value,
           CASE WHEN e.currency = %(currency)s THEN e.amount_minor
                ELSE round(e.amount_minor * r.rate)::bigint END AS converted
    FROM crossborder_revenueevent e
    JOIN sysadmin_branch sb ON sb.id = e.servicing_branch_id
    LEFT JOIN (SELECT DISTINCT ON (currency) id, currency, rate, as_of FROM customers_fxrate
               WHERE bank_id = %(bank)s AND as_of <= %(last)s ORDER BY currency, as_of DESC, effective_at DESC, id DESC) r
           ON r.currency = e.currency AND e.currency <> %(currency)s
    WHERE e.bank_id = %(bank)s AND e.booked_on >= %(start)s AND e.booked_on < %(end)s
), parts AS (
    SELECT ev.*, s.position, s.side, s.manager_id, s.percentage, s.fixed_amount_minor, abs(converted) AS magnitude,
           sign(converted) AS sgn,
           COALESCE(SUM(s.fixed_amount_minor) OVER (PARTITION BY ev.id ORDER BY s.position
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS fixed_before,
           COALESCE(SUM(s.fixed_amount_minor) OVER (PARTITION BY ev.id), 0) AS fixed_total
    FROM ev CROSS JOIN crossborder_ruleshare s WHERE s.rule_id = %(rule)s
), floors AS (
    SELECT p.*,
           CASE WHEN percentage IS NULL THEN GREATEST(0, LEAST(fixed_amount_minor, magnitude - fixed_before))
                ELSE floor((magnitude - LEAST(magnitude, fixed_total)) * percentage / 100) END::bigint AS base_part,
           (magnitude - LEAST(magnitude, fixed_total)) * percentage
             - floor((magnitude - LEAST(magnitude, fixed_total)) * percentage / 100) * 100 AS fraction
    FROM parts p
), ranked AS (
    SELECT f.*, magnitude - SUM(base_part) OVER (PARTITION BY id) AS leftover,
           row_number() OVER (PARTITION BY id, percentage IS NULL ORDER BY fraction DESC, position) AS rank
    FROM floors f
)
SELECT st.id, r.id, %(rule)s, r.position, r.side,
       CASE r.side WHEN 'originating' THEN r.originating_branch_id ELSE r.servicing_branch_id END, r.manager_id,
       r.original, r.currency, r.converted,
       r.sgn * (r.base_part + CASE WHEN r.percentage IS NOT NULL AND r.rank <= r.leftover THEN 1 ELSE 0 END),
       r.rate_id, r.rate_value, r.rate_date, r.reversal_reason
FROM ranked r
JOIN crossborder_profitstatement st
  ON st.bank_id = %(bank)s AND st.counterpart_id = r.counterpart_id AND st.period = %(start)s
"""

DELETE_LINES = """
DELETE FROM crossborder_profitstatementline l USING crossborder_profitstatement st
WHERE st.id = l.statement_id AND st.bank_id = %(bank)s AND st.period = %(start)s
"""

CANONICAL_MD5 = """
SELECT md5(string_agg(concat_ws('|', st.counterpart_id, l.event_id, l.rule_id, l.position, l.side, l.branch_id,
                                l.manager_id, l.event_amount_minor, l.event_currency, l.converted_minor,
                                l.amount_minor, l.fx_rate_id, l.fx_rate_value, l.fx_rate_date, l.reversal_reason),
                      E'\\n' ORDER BY st.counterpart_id, l.event_id, l.position)
           || string_agg(DISTINCT concat_ws('|', st.counterpart_id, st.currency, st.total_minor), ','))
FROM crossborder_profitstatementline l JOIN crossborder_profitstatement st ON st.id = l.statement_id
WHERE st.bank_id = %(bank)s AND st.period = %(start)s
"""


def prepare(count):
    """The bench banks, rule, rate and `count` events (kept between runs of the same size)."""
    bank = Bank.objects.filter(code=BANK).first()
    if bank is None:
        bank = Bank.objects.create(code=BANK, name_local="跨境基准银行", name_en="Bench Bank", head_office_country="CN")
        partner = Bank.objects.create(
            code=PARTNER, name_local="基准合作银行", name_en="Bench Partner", base_currency="HKD", head_office_country="HK"
        )
        ho = make_branch(bank, "XB-HO", level=Branch.Level.HEAD_OFFICE)
        make_branch(bank, "XB-SH", ho)
        make_branch(bank, "XB-LDN", ho, country="GB", tz="Europe/London")
        make_branch(partner, "XP-HK", country="HK", tz="Asia/Hong_Kong")
        low, high = sorted((bank.pk, partner.pk))
        now = datetime.datetime.now(datetime.UTC)
        CrossBorderAgreement.objects.create(bank_a_id=low, bank_b_id=high, accepted_by_a_at=now, accepted_by_b_at=now)
        rule = ProfitShareRule.objects.create(
            bank=bank,
            name="bench",
            revenue_type="crossborder_fee",
            effective_from=datetime.date(2026, 1, 1),
            status=ProfitShareRule.Status.ACTIVE,
        )
        rule.shares.create(position=1, side="servicing", fixed_amount_minor=50)
        rule.shares.create(position=2, side="originating", percentage=Decimal("33.3333"))
        rule.shares.create(position=3, side="servicing", percentage=Decimal("66.6667"))
    last_day = PERIOD.replace(day=31)
    if not FxRate.objects.filter(bank=bank, currency="GBP", as_of__lte=last_day).exists():
        # The posting's business date follows its effective moment (head-office zone).
        FxRate.objects.create(
            bank=bank,
            currency="GBP",
            rate=Decimal("9.12345678"),
            as_of=last_day,
            effective_at=datetime.datetime(2026, 10, 30, 12, tzinfo=datetime.UTC),
        )
    branches = dict(Branch.objects.filter(code__in=["XB-SH", "XB-LDN", "XP-HK"]).values_list("code", "id"))
    rule = ProfitShareRule.objects.get(bank=bank, name="bench")
    customer = bank.customers.first() or make_customer("XB-C-1", Branch.objects.get(pk=branches["XB-SH"]))
    events = RevenueEvent.objects.filter(bank=bank, reversal_of__isnull=True).count()
    if events != count:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM crossborder_profitstatementline l USING crossborder_profitstatement st "
                "WHERE st.id = l.statement_id AND st.bank_id = %s",
                [bank.pk],
            )
            cursor.execute("DELETE FROM crossborder_profitstatement WHERE bank_id = %s", [bank.pk])
            cursor.execute("DELETE FROM crossborder_revenueevent WHERE bank_id = %s AND reversal_of_id IS NOT NULL", [bank.pk])
            cursor.execute("DELETE FROM crossborder_revenueevent WHERE bank_id = %s", [bank.pk])
            cursor.execute(
                """INSERT INTO crossborder_revenueevent (bank_id, customer_id, revenue_type, fee_type, amount_minor,
                       currency, booked_on, source_reference, originating_branch_id, servicing_branch_id,
                       reversal_reason, created_at)
                   SELECT %(bank)s, %(customer)s, 'crossborder_fee', 'crossborder_service',
                          1 + (g::bigint * 2654435761) %% 1000003,
                          CASE WHEN g %% 5 = 0 THEN 'GBP' ELSE 'CNY' END,
                          %(start)s::date + (g %% 28), 'bench-' || g, %(sh)s,
                          CASE WHEN g %% 3 = 0 THEN %(hk)s ELSE %(ldn)s END, '', now()
                   FROM generate_series(1, %(n)s) g""",
                {
                    "bank": bank.pk,
                    "customer": customer.pk,
                    "start": PERIOD,
                    "n": count,
                    "sh": branches["XB-SH"],
                    "ldn": branches["XB-LDN"],
                    "hk": branches["XP-HK"],
                },
            )
            cursor.execute(
                """INSERT INTO crossborder_revenueevent (bank_id, customer_id, revenue_type, fee_type, amount_minor,
                       currency, booked_on, source_reference, originating_branch_id, servicing_branch_id,
                       reversal_of_id, reversal_reason, created_at)
                   SELECT bank_id, customer_id, revenue_type, fee_type, -(amount_minor / 2 + 1), currency,
                          booked_on + 1, source_reference || ':reversal', originating_branch_id, servicing_branch_id,
                          id, 'refund', now()
                   FROM crossborder_revenueevent
                   WHERE bank_id = %s AND id %% 100 = 0 AND booked_on < %s""",
                [bank.pk, PERIOD + datetime.timedelta(days=27)],
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE crossborder_revenueevent")
    total = RevenueEvent.objects.filter(bank=bank).count()
    return bank, rule, total


def _md5(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchone()


def run(size="small", repeat=None):
    count = SIZES.get(size, SIZES["small"])
    began = time.perf_counter()
    bank, rule, total = prepare(count)
    print(f"statements: {total:,} revenue events ready in {time.perf_counter() - began:.1f} s")
    params = services._params(bank, PERIOD)
    params["rule"] = rule.pk

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(DELETE_LINES, params)  # both timed runs start from no lines
    began = time.perf_counter()
    summary = services.compute_statement(bank, PERIOD)
    job_seconds = time.perf_counter() - began
    first = _md5(CANONICAL_MD5, params)

    # The baseline writes the same lines into the same table (same indexes and constraints, the
    # deferred foreign keys checked inside the timing), then is rolled back: the job's lines stay.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(DELETE_LINES, params)
        began = time.perf_counter()
        cursor.execute(BASELINE_SQL, params)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        baseline_seconds = time.perf_counter() - began
        baseline = _md5(CANONICAL_MD5, params)
        transaction.set_rollback(True)
    assert baseline == first, f"the hand-written SQL and the statement differ: {baseline} vs {first}"

    began = time.perf_counter()
    services.compute_statement(bank, PERIOD)
    rerun_seconds = time.perf_counter() - began
    identical = _md5(CANONICAL_MD5, params) == first
    ratio = job_seconds / baseline_seconds
    print(
        f"statements: compute_statement {summary['statements']} statements, {summary['lines']:,} lines in "
        f"{job_seconds:.2f} s (rerun {rerun_seconds:.2f} s); hand-written INSERT ... SELECT {baseline_seconds:.2f} s; "
        f"ratio {ratio:.2f}x; the same lines (md5 of the canonical lines equal)"
    )
    print(f"statements: rerun {'byte-identical' if identical else 'DIFFERENT'} (md5 {first[0]})")
    targets = Targets("statements")
    targets.add("compute_vs_handwritten_sql", ratio, "x", "<=2")
    targets.add("rerun_identical", 1 if identical else 0, "", ">=1")
    targets.add("lines_per_second", summary["lines"] / job_seconds, "/s", ">0")
    targets.print()
