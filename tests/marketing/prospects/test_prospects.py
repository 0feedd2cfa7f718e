"""Prospects: the ECIF duplicate check on capture and on conversion (identity document and
scored phone + name), linking instead, conversion creating the customer through customers'
master service and crediting once, PII stored masked, scope (404 elsewhere), the list's queries."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.lifecycle import services as lifecycle
from customers.master.models import ContactPoint, Customer, IdentityDocument
from customers.ownership.assignment.models import MarketingCredit
from marketing.prospects import services
from marketing.prospects.models import Prospect
from ocrm.errors import NotVisible
from tests.customers.lifecycle.test_lifecycle import DAY, hold
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

RESIDENT_ID = "110101199003074477"


@pytest.fixture(autouse=True)
def _english(english_staff):
    """Messages read in English."""


def existing(org, number="C-PR-1", name="王伟", phone="+8613812345678", id_number=None):
    customer = make_customer(number, org.a_sh, org.manager, name_local=name)
    ContactPoint.objects.create(bank_id=org.bank_a.pk, customer=customer, kind="mobile", value=phone, is_primary=True)
    if id_number:
        document = IdentityDocument(
            bank_id=org.bank_a.pk, customer=customer, doc_type="resident_id", issuing_country="CN", is_primary=True
        )
        document.set_number(id_number)
        document.save()
    return customer


def capture(owner, **values):
    data = {"name": "李娜", "phone": "13900001111", "email": "", "source": "walk_in", **values}
    return services.capture(data, owner=owner)


def test_identity_number_is_stored_masked_never_in_clear(org):
    prospect = capture(org.manager, id_type="resident_id", id_number=RESIDENT_ID)
    row = Prospect.objects.values().get(pk=prospect.pk)
    assert RESIDENT_ID not in str(row)
    assert prospect.id_number_masked != RESIDENT_ID and prospect.id_number_masked.startswith("110")
    assert prospect.clear_id_number() == RESIDENT_ID
    assert prospect.phone == "+8613900001111"


def test_capture_refuses_a_likely_duplicate_by_phone_and_name_and_writes_nothing(org):
    customer = existing(org)
    with pytest.raises(services.LikelyDuplicate) as refused:
        capture(org.manager, name="王伟", phone="138 1234 5678")
    assert [c.customer for c in refused.value.candidates] == [customer]
    assert not Prospect.objects.exists()


def test_capture_refuses_the_same_identity_document(org):
    customer = existing(org, name="张三", phone="+8613700000000", id_number=RESIDENT_ID)
    with pytest.raises(services.LikelyDuplicate) as refused:
        capture(org.manager, name="李娜", phone="", email="ln@example.com", id_type="resident_id", id_number=RESIDENT_ID)
    assert refused.value.candidates[0].customer == customer and refused.value.candidates[0].how == "identity"


def test_another_person_with_a_different_name_is_no_duplicate(org):
    existing(org)
    prospect = capture(org.manager, name="赵敏", phone="13812345678")
    assert prospect.status == Prospect.Status.OPEN


def test_capture_can_link_to_the_candidate_instead(org):
    customer = existing(org)
    prospect = services.capture(
        {"name": "王伟", "phone": "13812345678", "source": "referral"}, owner=org.manager, link_to=customer
    )
    assert prospect.status == Prospect.Status.LINKED and prospect.customer == customer
    assert Customer.objects.filter(bank=org.bank_a).count() == 1


def test_link_only_to_a_shown_candidate(org):
    prospect = capture(org.manager)
    other = existing(org, number="C-PR-9", name="孙悟空", phone="+8613600000000")
    with pytest.raises(ValidationError):
        services.link(prospect.pk, other, org.manager, visible=Prospect.objects.visible_to(org.manager))


def test_conversion_checks_again_creates_the_customer_and_credits_once(org):
    prospect = capture(org.manager, id_type="resident_id", id_number=RESIDENT_ID, email="LN@example.com")
    # A customer with the same phone and name arrived (a feed) after the capture.
    duplicate = existing(org, number="C-PR-2", name="李娜", phone="+8613900001111")
    visible = Prospect.objects.visible_to(org.manager)
    with pytest.raises(services.LikelyDuplicate) as refused:
        services.convert(prospect.pk, org.manager, visible=visible)
    assert [c.customer for c in refused.value.candidates] == [duplicate]
    assert Prospect.objects.get(pk=prospect.pk).status == Prospect.Status.OPEN

    converted = services.convert(prospect.pk, org.manager, visible=visible, ignore_duplicates=True)
    customer = converted.customer
    assert converted.status == Prospect.Status.CONVERTED
    assert customer.lifecycle_stage == Customer.Lifecycle.PROSPECT
    assert customer.primary_manager == org.manager and customer.branch == org.a_sh
    assert customer.identity_documents.get().number_hash == prospect.id_number_hash
    assert set(customer.contact_points.values_list("value", flat=True)) == {"+8613900001111", "ln@example.com"}
    credits = MarketingCredit.objects.filter(source=f"prospect:{prospect.pk}")
    assert credits.count() == 1 and credits.get().manager == org.manager
    with pytest.raises(ValidationError):  # converted once: not again, no second credit
        services.convert(prospect.pk, org.manager, visible=visible, ignore_duplicates=True)
    assert credits.count() == 1


def test_a_converted_prospect_becomes_active_once_its_account_arrives(org):
    """Issue 15: conversion makes a customer in the prospect stage; the nightly lifecycle job moves it
    to active once a holding arrives from the feeds (and not before)."""
    prospect = capture(org.manager)
    customer = services.convert(prospect.pk, org.manager, visible=Prospect.objects.visible_to(org.manager)).customer
    lifecycle.run_nightly(org.bank_a, DAY)
    assert Customer.objects.get(pk=customer.pk).lifecycle_stage == Customer.Lifecycle.PROSPECT
    hold(customer, "5000.00", opened_days_before=1)
    lifecycle.run_nightly(org.bank_a, DAY)
    assert Customer.objects.get(pk=customer.pk).lifecycle_stage == Customer.Lifecycle.ACTIVE


def test_bad_input_names_the_field(org):
    with pytest.raises(ValidationError) as refused:
        capture(org.manager, phone="12", id_type="resident_id", id_number="110101199003074470")
    assert set(refused.value.message_dict) == {"phone", "id_number"}
    assert not Prospect.objects.exists()


@pytest.mark.parametrize(
    ("who", "seen"),
    [("manager", True), ("supervisor", True), ("marketing_manager", True), ("manager_bj", False), ("b_manager", False)],
)
def test_scope(client, org, who, seen):
    prospect = capture(org.manager)
    user = getattr(org, who)
    client.force_login(user)
    response = client.get(reverse("marketing:prospect_detail", args=[prospect.pk]))
    assert response.status_code == (200 if seen else 404)
    if not seen:
        with pytest.raises(NotVisible):
            services.drop(prospect.pk, user, visible=Prospect.objects.visible_to(user))


def test_capture_page_shows_the_candidates_and_links(client, org):
    customer = existing(org)
    client.force_login(org.manager)
    data = {"name": "王伟", "phone": "13812345678", "source": "walk_in"}
    response = client.post(reverse("marketing:prospect_create"), data)
    assert response.status_code == 200
    assert customer.number in response.content.decode() and "Link to this customer" in response.content.decode()
    response = client.post(reverse("marketing:prospect_create"), {**data, "link_to": customer.number})
    assert response.status_code == 302
    assert Prospect.objects.get().customer == customer


def test_convert_page(client, org):
    prospect = capture(org.manager)
    client.force_login(org.manager)
    page = client.get(reverse("marketing:prospect_detail", args=[prospect.pk])).content.decode()
    assert "13900001111" not in page  # the phone is masked
    response = client.post(reverse("marketing:prospect_convert", args=[prospect.pk]))
    assert response.status_code == 302
    assert Prospect.objects.get(pk=prospect.pk).status == Prospect.Status.CONVERTED


def test_list_in_bounded_queries_and_export(client, org, django_assert_max_num_queries):
    for n in range(30):
        capture(org.manager, name=f"客户{n}", phone=f"139000{n:05d}")
    client.force_login(org.supervisor)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("marketing:prospects"))
    assert response.status_code == 200 and "客户1" in response.content.decode()
    export = client.get(reverse("marketing:prospects") + "?export=xlsx")
    assert export.status_code == 200
