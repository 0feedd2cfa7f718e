"""Product versions through maker-checker (history, diff, publish copies the risk level to the
product) and the hard suitability rule, also as a property over generated customers/products."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.master.models import Product
from marketing.products import services
from marketing.products.models import ProductVersion
from ocrm.approvals import services as approvals
from ocrm.errors import NotVisible
from tests.factories import make_product, make_staff


@pytest.mark.django_db
def test_version_goes_through_a_checker_and_is_published(org):
    product = make_product(org.bank_a, code="WM-R3", product_type="wealth")
    maker = org.product_manager
    checker = make_staff("a.pm2", branch=org.a_ho, roles=["product_manager"])
    draft = services.write_draft(maker, product.pk, {"rate": Decimal("3.2500"), "risk_level": "R3", "term_months": 12})
    assert draft.number == 1 and draft.status == ProductVersion.Status.DRAFT
    request = services.submit(maker, draft.pk)
    assert request in approvals.pending_for_checker(checker)
    assert request not in approvals.pending_for_checker(maker)
    with pytest.raises(PermissionDenied):
        approvals.approve(request.pk, maker)
    approvals.approve(request.pk, checker)
    draft.refresh_from_db()
    product.refresh_from_db()
    assert draft.status == ProductVersion.Status.PUBLISHED and product.risk_level == "R3"

    second = services.write_draft(maker, product.pk, {"rate": Decimal("3.5000"), "risk_level": "R3", "term_months": 12})
    assert second.number == 2
    assert services.diff(second) == {"rate": ["3.2500", "3.5000"]}
    request = services.submit(maker, second.pk)
    approvals.reject(request.pk, checker, "rate too high")
    second.refresh_from_db()
    assert second.status == ProductVersion.Status.REJECTED
    assert services.published_version(product) == draft
    assert list(ProductVersion.objects.filter(product=product).values_list("number", flat=True)) == [2, 1]


@pytest.mark.django_db
def test_only_product_managers_of_the_bank(org):
    product = make_product(org.bank_a)
    with pytest.raises(PermissionDenied):
        services.write_draft(org.manager, product.pk, {"rate": Decimal("1")})
    b_pm = make_staff("b.pm", branch=org.b_ho, roles=["product_manager"])
    with pytest.raises(NotVisible):
        services.write_draft(b_pm, product.pk, {"rate": Decimal("1")})


@pytest.mark.django_db
def test_bad_parameters_are_named_and_nothing_written(org):
    product = make_product(org.bank_a)
    with pytest.raises(ValidationError) as error:
        services.write_draft(
            org.product_manager,
            product.pk,
            {"sale_start": datetime.date(2026, 5, 1), "sale_end": datetime.date(2026, 4, 1), "fee": Decimal("-1")},
        )
    assert set(error.value.message_dict) == {"sale_end", "fee"}
    assert not ProductVersion.objects.exists()


@pytest.mark.django_db
def test_product_risk_level_is_guarded(org):
    assert "risk_level" in approvals.guarded_fields(Product, org.bank_a.pk)


def test_suitability_rules_one_by_one():
    assert services.suitability("R3", "R3")[0]
    assert services.suitability("R3", "R2")[0]
    assert not services.suitability("R2", "R3")[0]
    assert services.suitability("", "R1")[0]
    ok, reason = services.suitability("", "R2")
    assert not ok and "no risk assessment" in reason
    assert not services.suitability("R5", "")[0]


RISKS = st.sampled_from(["", "R1", "R2", "R3", "R4", "R5", "XX"])


# The machine is shared: generation speed is not what this test is about.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    customer_risk=RISKS,
    products=st.lists(st.tuples(RISKS, st.booleans()), max_size=20),
)
def test_suitability_is_never_violated(customer_risk, products):
    customer = SimpleNamespace(risk_level=customer_risk)
    catalog = [SimpleNamespace(pk=i, risk_level=risk, is_active=active) for i, (risk, active) in enumerate(products)]
    for product, reasons in services.eligible_products(customer, catalog):
        assert reasons
        assert product.risk_level in services.RISK_ORDER
        if customer_risk in services.RISK_ORDER:
            assert services.RISK_ORDER.index(product.risk_level) <= services.RISK_ORDER.index(customer_risk)
        else:
            assert product.risk_level == "R1"
