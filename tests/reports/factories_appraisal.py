"""Appraisal test data: schemes written straight into the tables (active unless told), and the
report snapshot rows scores are computed from (the nightly build is another area's: tests insert
its rows directly)."""

import datetime
from decimal import Decimal

from customers.master.models import Customer
from reports.appraisal.models import KpiIndicator, KpiScheme, ManagerTarget, Score, ScoreLine
from reports.snapshots.models import CustomerDay, MeasureDay
from tests.factories import make_customer, make_staff

NOV_BASELINE = datetime.date(2026, 10, 31)
NOV_END = datetime.date(2026, 11, 30)

# weight, threshold, target, stretch: the hand-computed expectations in test_appraisal_scoring use these.
STANDARD_INDICATORS = [
    {"kind": "aum_growth", "weight": "40", "threshold": "0", "target": "100000", "stretch": "200000"},
    {"kind": "new_customers", "weight": "20", "threshold": "1", "target": "3", "stretch": "5"},
    {"kind": "customers_lost", "weight": "10", "threshold": "3", "target": "1", "stretch": "0"},
    {"kind": "product_sales", "category": "fee", "weight": "10", "threshold": "0", "target": "2", "stretch": "4"},
    {"kind": "measure", "measure": "campaigns.conversions", "weight": "20", "threshold": "0", "target": "10", "stretch": "20"},
]


def make_scheme(
    bank,
    indicators=STANDARD_INDICATORS,
    *,
    valid_from=datetime.date(2026, 1, 1),
    valid_to=None,
    status=KpiScheme.Status.ACTIVE,
    role="customer_manager",
    cap="1.50",
    name="Managers 2026",
    created_by=None,
):
    scheme = KpiScheme.objects.create(
        bank=bank,
        role=role,
        name=name,
        valid_from=valid_from,
        valid_to=valid_to,
        stretch_cap=Decimal(cap),
        status=status,
        created_by=created_by,
    )
    for position, item in enumerate(indicators, start=1):
        KpiIndicator.objects.create(
            scheme=scheme,
            position=position,
            kind=item["kind"],
            category=item.get("category", ""),
            measure=item.get("measure", ""),
            weight=Decimal(item["weight"]),
            threshold=Decimal(item["threshold"]),
            target=Decimal(item["target"]),
            stretch=Decimal(item["stretch"]),
        )
    return scheme


def customer_day(bank, day, customer_id, branch, manager, aum, categories="", **extra):
    values = {
        "kind": "retail",
        "lifecycle_stage": "active",
        "tier": "standard",
        "star_rating": 3,
        "liabilities": Decimal("0"),
        "contribution": Decimal("0"),
        "fee_income": Decimal("0"),
        "products_held": len([c for c in categories.split(",") if c]),
        "transactions_30d": 0,
        "method_version": 1,
        **extra,
    }
    return CustomerDay.objects.create(
        bank_id=bank.pk,
        business_date=day,
        customer_id=customer_id,
        branch_id=branch.pk,
        manager_id=manager.pk if manager else None,
        aum=Decimal(aum),
        product_categories=categories,
        **values,
    )


def measure_day(bank, day, branch, manager, measure, value):
    return MeasureDay.objects.create(
        bank_id=bank.pk,
        business_date=day,
        branch_id=branch.pk,
        manager_id=manager.pk if manager else None,
        measure=measure,
        value=value,
        method_version=1,
    )


def november(org):
    """The November 2026 snapshots of bank A behind the hand-computed scores (docs in the tests):
    org.manager (A-SH) 87.00, org.manager_sub (A-SH-1, own AUM target) 65.00, org.manager_bj 15.00."""
    bank, sh, sub = org.bank_a, org.a_sh, org.a_sh_sub
    colleague = make_staff("a.mgr.sh.other", branch=sh, roles=[])
    c = {n: make_customer(f"C-KPI-{n}", sh, org.manager, name_local=f"客户{n}", name_latin=f"Customer {n}") for n in (1, 2, 4, 5)}
    c[3] = make_customer("C-KPI-3", sh, colleague, name_local="客户3", name_latin="Customer 3")  # lost to a colleague
    c[6] = make_customer("C-KPI-6", sub, org.manager_sub, name_local="客户6", name_latin="Customer 6")
    # The day before November: the baseline.
    customer_day(bank, NOV_BASELINE, c[1].pk, sh, org.manager, "100000", "asset")
    customer_day(bank, NOV_BASELINE, c[2].pk, sh, org.manager, "50000", "asset")
    customer_day(bank, NOV_BASELINE, c[3].pk, sh, org.manager, "20000", "asset,fee")
    customer_day(bank, NOV_BASELINE, c[6].pk, sub, org.manager_sub, "0", "")
    # November's last day.
    customer_day(bank, NOV_END, c[1].pk, sh, org.manager, "180000", "asset,fee")
    customer_day(bank, NOV_END, c[2].pk, sh, org.manager, "60000", "asset")
    customer_day(bank, NOV_END, c[3].pk, sh, colleague, "20000", "asset,fee")
    customer_day(bank, NOV_END, c[4].pk, sh, org.manager, "10000", "liability")
    customer_day(bank, NOV_END, c[5].pk, sh, org.manager, "0", "fee")
    customer_day(bank, NOV_END, c[6].pk, sub, org.manager_sub, "75000", "asset")
    # Campaign conversions: 7 + 8 in November; the row of October 31 and the colleague's do not count.
    measure_day(bank, datetime.date(2026, 11, 5), sh, org.manager, "campaigns.conversions", 7)
    measure_day(bank, datetime.date(2026, 11, 20), sh, org.manager, "campaigns.conversions", 8)
    measure_day(bank, NOV_BASELINE, sh, org.manager, "campaigns.conversions", 100)
    measure_day(bank, datetime.date(2026, 11, 20), sh, colleague, "campaigns.conversions", 50)
    return c


def own_aum_target(scheme, manager, valid_from=datetime.date(2026, 11, 1), valid_to=None):
    indicator = scheme.indicators.get(kind="aum_growth")
    return ManagerTarget.objects.create(
        indicator=indicator,
        manager=manager,
        valid_from=valid_from,
        valid_to=valid_to,
        threshold=Decimal("0"),
        target=Decimal("50000"),
        stretch=Decimal("100000"),
    )


def appraisal_rows(bank, branch, manager):
    """The permission sweep's appraisal objects of one bank: a draft scheme (its edit page answers)
    and the manager's November score with one line."""
    draft = make_scheme(bank, STANDARD_INDICATORS[:1], status=KpiScheme.Status.DRAFT, name=f"Sweep {bank.code}")
    indicator = draft.indicators.get()
    score = Score.objects.create(
        bank=bank,
        manager=manager,
        branch=branch,
        period_kind="month",
        period_start=datetime.date(2026, 11, 1),
        period_end=NOV_END,
        scheme=draft,
        snapshot_date=NOV_END,
        points=Decimal("40"),
        total=Decimal("40"),
        method_version=1,
        computed_at=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC),
    )
    line = ScoreLine.objects.create(
        score=score,
        indicator=indicator,
        position=1,
        kind=indicator.kind,
        value=Decimal("100000"),
        weight=indicator.weight,
        threshold=indicator.threshold,
        target=indicator.target,
        stretch=indicator.stretch,
        cap=draft.stretch_cap,
        band="target",
        points=Decimal("40"),
    )
    return {"kpi_scheme": draft, "kpi_score": score, "kpi_score_line": line}


__all__ = ["Customer", "customer_day", "make_scheme", "measure_day", "november", "own_aum_target", "appraisal_rows"]
