"""Wealth planning: suitability never violated (a property test over random products and risk
levels), the lowest risk for a customer without an assessment (and why), current assets from
holdings and other banks, allocation sums, illustrations versioned and immutable, audited;
scope (another manager's customer: 404) and the 360 section loading the list with htmx."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.master.models import Customer, FxRate, Holding, Product
from marketing.planning import services
from marketing.planning.models import IllustrationIsImmutable, PlanIllustration
from ocrm.audit.models import AuditLog
from tests.factories import make_customer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

RISKS = ["R1", "R2", "R3", "R4", "R5"]
TYPES = ["time_deposit", "wealth", "bond", "fund", "insurance"]
FUTURE = datetime.date.today().replace(day=1) + datetime.timedelta(days=3700)


def product(bank, code, product_type, risk, active=True, category="asset"):
    return Product.objects.create(
        bank=bank,
        code=code,
        name_local=code,
        category=category,
        product_type=product_type,
        currency="CNY",
        risk_level=risk,
        is_active=active,
    )


@pytest.fixture
def customer(org):
    return make_customer("C-PLAN-1", org.a_sh, org.manager, risk_level="R3")


@pytest.fixture
def shelf(org):
    return [
        product(org.bank_a, "TD1", "time_deposit", "R1"),
        product(org.bank_a, "WM2", "wealth", "R2"),
        product(org.bank_a, "BD3", "bond", "R3"),
        product(org.bank_a, "FD4", "fund", "R4"),
        product(org.bank_a, "FD5", "fund", "R5"),
        product(org.bank_a, "FD3", "fund", "R3", active=False),
        product(org.bank_b, "B-FD1", "fund", "R1"),
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    risk=st.sampled_from(["", *RISKS]),
    rows=st.lists(st.tuples(st.sampled_from(TYPES), st.sampled_from(["", *RISKS]), st.booleans()), max_size=10),
    other=st.integers(min_value=0, max_value=10**9),
)
def test_suitability_is_never_violated(org, risk, rows, other):
    Product.objects.filter(bank=org.bank_a).delete()
    for n, (kind, product_risk, active) in enumerate(rows):
        product(org.bank_a, f"P{n}", kind, product_risk, active)
    Product.objects.get_or_create(  # another bank's shelf is never offered
        bank=org.bank_b,
        code="B-FUND",
        defaults={"name_local": "B", "category": "asset", "product_type": "fund", "currency": "HKD", "risk_level": "R1"},
    )
    customer = Customer.objects.filter(number="C-PROP").first() or make_customer("C-PROP", org.a_sh, org.manager)
    customer.risk_level = risk
    plan = services.build_plan(customer, [("Home", Decimal("500000"), FUTURE)], Decimal(other))
    limit = risk or "R1"
    offered = [p for row in plan.allocation for p in row["products"]]
    allowed = {p.code for p in Product.objects.filter(bank=org.bank_a, is_active=True, category="asset")}
    for item in offered:
        assert item["risk_level"] and RISKS.index(item["risk_level"]) <= RISKS.index(limit), (item, limit)
        assert item["code"] in allowed
    assert sum(Decimal(row["amount"]) for row in plan.allocation) == (Decimal(other) if plan.allocation else 0)
    if not risk:
        assert "no assessed risk level" in plan.risk_note


def test_a_customer_without_a_risk_level_gets_only_the_lowest_risk(org, shelf):
    customer = make_customer("C-NORISK", org.a_sh, org.manager)
    plan = services.build_plan(customer, [("Car", Decimal("200000"), FUTURE)], Decimal("100000"))
    assert plan.risk_limit == "R1" and "no assessed risk level" in plan.risk_note
    assert [row["type"] for row in plan.allocation] == ["time_deposit"]
    assert plan.allocation[0]["amount"] == "100000.00" and plan.allocation[0]["weight"] == "100.00"


def test_the_plan_reads_holdings_and_other_banks_and_sums_to_the_cent(org, customer, shelf):
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=Decimal("7.1"), as_of=datetime.date(2026, 1, 2))
    td = Product.objects.get(code="TD1")
    Holding.objects.create(
        bank_id=org.bank_a.pk, customer=customer, product=td, account_number="A1", currency="CNY", balance=Decimal("10000.01")
    )
    Holding.objects.create(
        bank_id=org.bank_a.pk, customer=customer, product=td, account_number="A2", currency="USD", balance=Decimal("100")
    )
    Holding.objects.create(
        bank_id=org.bank_a.pk,
        customer=customer,
        product=td,
        account_number="A3",
        currency="CNY",
        balance=Decimal("999"),
        status="closed",
    )
    plan = services.build_plan(
        customer, [("Home", Decimal("300000"), FUTURE), ("School", Decimal("100000"), FUTURE)], Decimal("0.02")
    )
    assert plan.assets["held"] == "10710.01" and plan.assets["total"] == "10710.03"
    assert [row["type"] for row in plan.allocation] == ["time_deposit", "wealth", "bond"]  # R3: no fund ≤ R3 is active
    assert sum(Decimal(row["amount"]) for row in plan.allocation) == Decimal("10710.03")
    assert sum(Decimal(g["savings_applied"]) for g in plan.goals) == Decimal("10710.03")
    assert all(Decimal(g["monthly_saving"]) > 0 for g in plan.goals)
    assert plan.rates["assumed_returns"]["bond"] == "3.00" and "for reference only" in plan.disclosure


def test_illustrations_are_versioned_immutable_and_audited(org, customer, shelf):
    plan = services.build_plan(customer, [("Home", Decimal("300000"), FUTURE)], Decimal("1000"))
    first = services.save_illustration(plan, org.manager)
    second = services.save_illustration(plan, org.manager)
    assert (first.version, second.version) == (1, 2)
    first.disclosure = "changed"
    with pytest.raises(IllustrationIsImmutable):
        first.save()
    with pytest.raises(IllustrationIsImmutable):
        PlanIllustration.objects.filter(pk=first.pk).update(disclosure="changed")
    assert PlanIllustration.objects.get(pk=first.pk).disclosure != "changed"
    entries = AuditLog.objects.filter(detail__event="plan_illustration_saved")
    assert entries.count() == 2


def test_a_manager_builds_previews_and_saves_a_plan(client, org, customer, shelf):
    client.force_login(org.manager)
    url = reverse("marketing:plan", args=[customer.number])
    assert client.get(url).status_code == 200
    data = {"goal_1_name": "Home", "goal_1_amount": "300000", "goal_1_date": FUTURE.isoformat(), "other_bank_assets": "5000"}
    html = client.post(url, {**data, "action": "preview"}).content.decode()
    assert 'id="plan-allocation"' in html and "BD3" in html and "FD4" not in html
    assert PlanIllustration.objects.count() == 0  # a preview writes nothing
    response = client.post(url, {**data, "action": "save"})
    illustration = PlanIllustration.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "marketing:plan_illustration", args=[customer.number, illustration.pk]
    )
    html = client.get(response["Location"]).content.decode()
    assert "Version 1" in html and "for reference only" in html
    printed = client.get(reverse("marketing:plan_print", args=[customer.number, illustration.pk])).content.decode()
    assert "print-calculators.css" in printed and "BD3" in printed
    listing = client.get(reverse("marketing:plan_illustrations", args=[customer.number])).content.decode()
    assert "Version 1" in listing
    page = client.get(reverse("customers:detail", args=[customer.number])).content.decode()
    assert reverse("marketing:plan_illustrations", args=[customer.number]) in page  # loaded by htmx


def test_bad_goals_name_the_field_and_write_nothing(client, org, customer):
    client.force_login(org.manager)
    url = reverse("marketing:plan", args=[customer.number])
    response = client.post(
        url, {"goal_1_name": "Home", "goal_1_amount": "-1", "goal_1_date": "2000-01-01", "goal_2_name": "Car", "action": "save"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "The goal&#x27;s date must be in the future." in html and "Fill in every field of this goal, or none." in html
    assert PlanIllustration.objects.count() == 0


def test_another_managers_customer_is_404(client, org, customer, shelf):
    plan = services.build_plan(customer, [("Home", Decimal("1000"), FUTURE)], Decimal("0"))
    illustration = services.save_illustration(plan, org.manager)
    for user in (org.manager_bj, org.b_manager):
        client.force_login(user)
        for name, args in (
            ("plan", [customer.number]),
            ("plan_illustrations", [customer.number]),
            ("plan_illustration", [customer.number, illustration.pk]),
            ("plan_print", [customer.number, illustration.pk]),
        ):
            assert client.get(reverse(f"marketing:{name}", args=args)).status_code == 404, (user, name)
        response = client.post(reverse("marketing:plan", args=[customer.number]), {"goal_1_name": "x", "action": "save"})
        assert response.status_code == 404
    assert PlanIllustration.objects.count() == 1
    other = make_customer("C-PLAN-2", org.a_sh, org.manager)
    client.force_login(org.manager)
    # An illustration read under another customer's number is not found either.
    assert client.get(reverse("marketing:plan_illustration", args=[other.number, illustration.pk])).status_code == 404
