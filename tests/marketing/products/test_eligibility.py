"""Bundle rules one by one, the suitability cut inside a bundle, the 360 section (scope, reasons,
a fixed number of queries whatever the catalog's size) and the channel API's offers."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from customers.master.models import Customer, Holding, IdentityDocument, RetailProfile
from customers.profile import sections
from marketing.products import eligibility
from marketing.products.demo import seed_bundles
from marketing.products.models import Bundle, BundleItem, BundleRule
from tests.factories import make_customer, make_product
from tests.support.mfa import second_factor_queries
from workbench.channelapi import offers

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 15)


def facts(**overrides):
    values = {
        "kind": "retail",
        "tier": "mass",
        "risk_level": "R2",
        "birth_date": datetime.date(2003, 6, 16),
        "today": TODAY,
        "valid_id": True,
        "held_product_ids": set(),
        "held_types": {"demand_deposit"},
    }
    values.update(overrides)
    return eligibility.Facts(**values)


def rule(kind, value=""):
    return BundleRule(kind=kind, value=value)


def test_age_is_counted_to_the_birthday():
    assert facts().age == 22  # birthday tomorrow
    assert eligibility.check_rule(rule("max_age", "22"), facts())[0]
    assert not eligibility.check_rule(rule("min_age", "23"), facts())[0]
    assert not eligibility.check_rule(rule("min_age", "18"), facts(birth_date=None))[0]


@pytest.mark.parametrize(
    ("kind", "value", "overrides", "expected"),
    [
        ("customer_kind", "retail", {}, True),
        ("customer_kind", "corporate", {}, False),
        ("tier_in", "affluent,wealth", {}, False),
        ("tier_in", "affluent,wealth", {"tier": "wealth"}, True),
        ("min_risk", "R3", {}, False),
        ("min_risk", "R2", {}, True),
        ("min_risk", "R1", {"risk_level": ""}, False),
        ("valid_id", "", {}, True),
        ("valid_id", "", {"valid_id": False}, False),
        ("holds_type", "demand_deposit", {}, True),
        ("holds_type", "card", {}, False),
        ("not_holds_type", "card", {}, True),
        ("not_holds_type", "demand_deposit", {}, False),
    ],
)
def test_each_rule(kind, value, overrides, expected):
    holds, reason = eligibility.check_rule(rule(kind, value), facts(**overrides))
    assert holds is expected and reason


@pytest.fixture
def graduate(org):
    bundle = Bundle.objects.create(bank_id=org.bank_a.pk, code="GRAD", name_local="新毕业生组合", scenario="new graduate")
    BundleRule.objects.create(bundle=bundle, kind="max_age", value="25")
    BundleRule.objects.create(bundle=bundle, kind="valid_id")
    card = make_product(org.bank_a, code="CARD-1", category="liability", product_type="card")
    card.risk_level = "R1"
    card.save()
    fund = make_product(org.bank_a, code="FUND-R4", product_type="fund")
    fund.risk_level = "R4"
    fund.save()
    BundleItem.objects.create(bundle=bundle, product=card)
    BundleItem.objects.create(bundle=bundle, product=fund)
    BundleItem.objects.create(bundle=bundle, service="职业规划讲座")
    customer = make_customer("C-GRAD", org.a_sh, org.manager, risk_level="R2")
    RetailProfile.objects.filter(customer=customer).update(birth_date=datetime.date(2003, 1, 1))
    IdentityDocument.objects.create(
        bank_id=org.bank_a.pk, customer=customer, doc_type="passport", issuing_country="CN",
        number_hash="h", number_encrypted="e", number_masked="E****1", expiry_date=datetime.date(2099, 1, 1),
    )  # fmt: skip
    return bundle, Customer.objects.get(pk=customer.pk), card, fund


def test_bundle_leaves_out_unsuitable_products(graduate):
    bundle, customer, card, fund = graduate
    [result] = eligibility.bundles_for(customer)
    assert result.eligible
    assert [p for p, _r in result.products] == [card]
    assert [p for p, _r in result.left_out] == [fund]


def test_held_products_are_not_proposed(graduate, org):
    bundle, customer, card, fund = graduate
    Holding.objects.create(bank_id=org.bank_a.pk, customer=customer, product=card, account_number="1", currency="CNY")
    assert card not in [p for p, _r in eligibility.suitable_products_for(customer)]
    [result] = eligibility.bundles_for(customer)
    assert result.products == []


def test_channel_offers(graduate):
    bundle, customer, card, fund = graduate
    found = offers.offers_for(customer, "counter")
    references = {offer.reference for offer in found}
    assert "bundle:GRAD" in references and "product:CARD-1" in references and "product:FUND-R4" not in references


def client_for(user):
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_section_on_the_360_page_with_reasons(graduate, org, django_assert_max_num_queries):
    bundle, customer, card, fund = graduate
    assert "eligible_offers" in [section.key for section, _c in sections.sections_for(customer, org.manager)]
    client = client_for(org.manager)
    detail = client.get(reverse("customers:detail", args=[customer.number])).content.decode()
    assert reverse("marketing:products_eligible", args=[customer.number]) in detail
    with django_assert_max_num_queries(12 + second_factor_queries(org.manager)):
        response = client.get(reverse("marketing:products_eligible", args=[customer.number]))
    page = response.content.decode()
    assert "新毕业生组合" in page and "CARD-1" in page and "FUND-R4" not in page
    assert "Age 23 (at most 25)." in page
    for i in range(10):  # a bigger catalog costs no more queries
        extra = make_product(org.bank_a, code=f"DD-{i}")
        extra.risk_level = "R1"
        extra.save()
        BundleItem.objects.create(bundle=bundle, product=extra)
    with django_assert_max_num_queries(12 + second_factor_queries(org.manager)):
        client.get(reverse("marketing:products_eligible", args=[customer.number]))


def test_section_in_chinese(graduate, org):
    bundle, customer, card, fund = graduate
    client = client_for(org.manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("marketing:products_eligible", args=[customer.number])).content.decode()
    assert "新毕业生组合" in page and "Age 23" not in page


def test_section_outside_scope_is_404(graduate, org):
    bundle, customer, card, fund = graduate
    assert client_for(org.manager_bj).get(reverse("marketing:products_eligible", args=[customer.number])).status_code == 404
    assert client_for(org.b_manager).get(reverse("marketing:products_eligible", args=[customer.number])).status_code == 404


def test_unassessed_customer_gets_only_r1(graduate, org):
    bundle, customer, card, fund = graduate
    Customer.objects.filter(pk=customer.pk).update(risk_level="")
    customer.refresh_from_db()
    levels = {p.risk_level for p, _r in eligibility.suitable_products_for(customer)}
    assert levels <= {"R1"}


def test_unrated_deposits_are_proposed_unrated_investments_never(graduate, org):
    """docs/products.md: a product that is not an investment needs no risk level; an investment does."""
    bundle, customer, card, fund = graduate
    deposit = make_product(org.bank_a, code="TD-1Y", product_type="time_deposit")
    unrated_fund = make_product(org.bank_a, code="FUND-X", product_type="fund")
    BundleItem.objects.create(bundle=bundle, product=deposit)
    BundleItem.objects.create(bundle=bundle, product=unrated_fund)
    Customer.objects.filter(pk=customer.pk).update(risk_level="")
    customer.refresh_from_db()
    codes = [p.code for p, _r in eligibility.suitable_products_for(customer)]
    assert "TD-1Y" in codes and "FUND-X" not in codes
    [result] = eligibility.bundles_for(customer)
    assert deposit in [p for p, _r in result.products]
    assert unrated_fund in [p for p, _r in result.left_out]


def test_demo_bundles_are_seeded_once_and_a_graduate_qualifies(org):
    for stem, risk in (("BOND", "R1"), ("WM", "R2"), ("INS", "R1")):
        product = make_product(org.bank_a, code=f"DEMO-{stem}-CNY", product_type="bond")
        product.risk_level = risk
        product.save()
    assert seed_bundles(org.bank_a) == 4 and seed_bundles(org.bank_a) == 0
    customer = make_customer("C-YOUNG", org.a_sh, org.manager, risk_level="R1")
    RetailProfile.objects.filter(customer=customer).update(birth_date=datetime.date(2002, 1, 1))
    IdentityDocument.objects.create(
        bank_id=org.bank_a.pk, customer=customer, doc_type="passport", issuing_country="CN",
        number_hash="h2", number_encrypted="e", number_masked="E****2",
    )  # fmt: skip
    results = {r.bundle.code: r for r in eligibility.bundles_for(Customer.objects.get(pk=customer.pk))}
    assert results["GRADUATE"].eligible and not results["RETIREE"].eligible
    assert [p.code for p, _r in results["GRADUATE"].products] == ["DEMO-BOND-CNY"]  # WM is R2: left out


def _exact_offers(customer):
    """What channel_offers() must answer: the uncached computation the 360 section uses."""
    found = {f"bundle:{r.bundle.code}" for r in eligibility.bundles_for(customer) if r.eligible and r.products}
    return found | {f"product:{p.code}" for p, _r in eligibility.suitable_products_for(customer)}


def test_channel_offers_read_the_catalogue_once_per_worker_and_each_customer_exactly(graduate, org, django_assert_num_queries):
    bundle, customer, card, fund = graduate
    offers.forget_all()
    eligibility.channel_offers(customer, "counter")  # the bank's bundles and products are loaded here
    # Warm: the customer's profile, documents and holdings only, however big the catalogue.
    customer = Customer.objects.get(pk=customer.pk)
    with django_assert_num_queries(3):
        warm = {offer.reference for offer in eligibility.channel_offers(customer, "counter")}
    assert warm == _exact_offers(customer) and "bundle:GRAD" in warm
    # Another customer of the bank, other facts: their own answer from the same copy.
    older = make_customer("C-OLD", org.a_sh, org.manager, risk_level="R5")
    RetailProfile.objects.filter(customer=older).update(birth_date=datetime.date(1960, 1, 1))
    older = Customer.objects.get(pk=older.pk)
    with django_assert_num_queries(3):
        theirs = {offer.reference for offer in eligibility.channel_offers(older, "counter")}
    assert theirs == _exact_offers(older) and "bundle:GRAD" not in theirs and "product:FUND-R4" in theirs
    # A held product is out at once (the customer's facts are never cached).
    Holding.objects.create(bank_id=org.bank_a.pk, customer=customer, product=card, account_number="9", currency="CNY")
    assert "product:CARD-1" not in {offer.reference for offer in eligibility.channel_offers(customer, "counter")}


@pytest.mark.django_db(transaction=True)
def test_a_catalogue_change_reaches_the_channel_offers_at_the_next_call(org):
    customer = make_customer("C-CAT", org.a_sh, org.manager, risk_level="R2")
    offers.forget_all()
    assert eligibility.channel_offers(customer, "counter") == []
    product = make_product(org.bank_a, code="CARD-2", category="liability", product_type="card")
    assert {offer.reference for offer in eligibility.channel_offers(customer, "counter")} == {"product:CARD-2"}
    product.is_active = False
    product.save()
    assert eligibility.channel_offers(customer, "counter") == []
    bundle = Bundle.objects.create(bank_id=org.bank_a.pk, code="ANY", name_local="组合", scenario="any")
    BundleItem.objects.create(bundle=bundle, product=make_product(org.bank_a, code="CARD-3", product_type="card"))
    assert {offer.reference for offer in eligibility.channel_offers(customer, "counter")} == {"bundle:ANY", "product:CARD-3"}
    BundleRule.objects.create(bundle=bundle, kind="min_age", value="200")
    assert {offer.reference for offer in eligibility.channel_offers(customer, "counter")} == {"product:CARD-3"}
    # A change behind the signals (a queryset update) is seen within offers.CACHE_TTL.
    Bundle.objects.filter(pk=bundle.pk).update(is_active=False)
    offers._bank_wide = {key: (gen, at - offers.CACHE_TTL, value) for key, (gen, at, value) in offers._bank_wide.items()}
    assert {offer.reference for offer in eligibility.channel_offers(customer, "counter")} == {"product:CARD-3"}
