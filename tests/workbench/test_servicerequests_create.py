"""Preparing a service request from the customer (the create/send page, change, cancel) and the 360
page's service requests section: scope, bad input named by field, both languages, bounded queries."""

import pytest
from django.conf import settings
from django.urls import reverse

from sysadmin.roles import sync_roles
from tests.factories import make_customer
from workbench.servicerequests import services
from workbench.servicerequests.models import ServiceRequest, ServiceRequestType

pytestmark = pytest.mark.django_db
FX = {"currency": "USD", "amount": "1000", "branch": "A-SH", "pickup_date": "2026-12-10"}


def as_user(client, user, language="en"):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture(autouse=True)
def roles_synced(org):
    sync_roles()


@pytest.fixture
def setup(org):
    services.seed_built_in_types(org.bank_a)
    services.seed_built_in_types(org.bank_b)
    customer = make_customer("C-SR-C1", org.a_sh, org.manager)
    foreign = make_customer("C-SR-C2", org.b_hk, org.b_manager)
    fx = ServiceRequestType.objects.get(bank=org.bank_a, code="fx_cash_exchange")
    return customer, foreign, fx


def test_a_manager_prepares_and_sends_a_request_from_the_customer(client, org, setup):
    customer, _foreign, fx = setup
    url = reverse("workbench:service_request_create", args=[customer.number])
    page = as_user(client, org.manager).get(url).content.decode()
    assert 'id="service-request-type-form"' in page and "Foreign-currency cash exchange order" in page
    page = client.get(url, {"type": fx.pk}).content.decode()
    assert 'name="amount"' in page and 'name="pickup_date"' in page and "Online banking" in page
    response = client.post(url, {"type": fx.pk, **FX, "action": "send"})
    row = ServiceRequest.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == reverse("workbench:service_request", args=[row.pk])
    assert row.status == "sent" and row.expires_at is not None and row.content["amount"] == "1000"
    page = client.get(response["Location"]).content.decode()
    assert "Sent to channel" in page and 'id="request-edit"' in page and 'id="request-send"' not in page


def test_a_draft_is_sent_changed_and_cancelled_from_its_page(client, org, setup):
    customer, _foreign, fx = setup
    url = reverse("workbench:service_request_create", args=[customer.number])
    as_user(client, org.manager).post(url, {"type": fx.pk, **FX, "action": "draft"})
    row = ServiceRequest.objects.get(customer=customer)
    assert row.status == "draft"
    client.post(reverse("workbench:service_request_send", args=[row.pk]))
    row.refresh_from_db()
    assert row.status == "sent"
    edit = reverse("workbench:service_request_edit", args=[row.pk])
    assert 'value="1000' in client.get(edit).content.decode()
    client.post(edit, {**FX, "amount": "1500"})
    row.refresh_from_db()
    assert row.version == 2 and row.status == "sent" and row.content["amount"] == "1500"
    client.post(reverse("workbench:service_request_cancel", args=[row.pk]))
    row.refresh_from_db()
    assert row.status == "cancelled"
    # A cancelled request cannot be sent: a clear message, no change.
    response = client.post(reverse("workbench:service_request_send", args=[row.pk]), follow=True)
    assert "cannot become" in response.content.decode()


def test_bad_input_is_named_by_field_and_nothing_is_written(client, org, setup):
    customer, _foreign, fx = setup
    url = reverse("workbench:service_request_create", args=[customer.number])
    response = as_user(client, org.manager).post(url, {"type": fx.pk, **FX, "amount": "lots", "action": "send"})
    assert response.status_code == 200
    assert "Enter a number" in response.content.decode()
    response = client.post(url, {"type": fx.pk, **FX, "amount": "0", "action": "send"})
    assert response.status_code == 200 and "Amount" in response.content.decode()
    response = client.post(url, {"type": "999999", **FX, "action": "send"})
    assert response.status_code == 200
    assert not ServiceRequest.objects.exists()


def test_another_banks_customer_and_type_are_out_of_reach(client, org, setup):
    customer, foreign, _fx = setup
    as_user(client, org.manager)
    assert client.get(reverse("workbench:service_request_create", args=[foreign.number])).status_code == 404
    assert client.get(reverse("workbench:customer_service_requests", args=[foreign.number])).status_code == 404
    b_fx = ServiceRequestType.objects.get(bank=org.bank_b, code="fx_cash_exchange")
    url = reverse("workbench:service_request_create", args=[customer.number])
    client.post(url, {"type": b_fx.pk, **FX, "action": "send"})
    assert not ServiceRequest.objects.exists()
    # Someone who may only look at customers (a teller) does not prepare requests.
    assert as_user(client, org.teller).get(url).status_code == 403


def test_the_360_section_lists_the_customers_requests_in_both_languages(client, org, setup, django_assert_max_num_queries):
    customer, _foreign, fx = setup
    row = services.send(org.manager, services.create_request(org.manager, customer, fx, FX))
    page = as_user(client, org.manager).get(reverse("customers:detail", args=[customer.number])).content.decode()
    assert 'id="customer-service-requests-section"' in page
    url = reverse("workbench:customer_service_requests", args=[customer.number])
    with django_assert_max_num_queries(12):
        section = client.get(url).content.decode()
    assert row.reference in section and "Sent to channel" in section and 'id="customer-service-request-create"' in section
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    section = client.get(url).content.decode()
    assert "已发送至渠道" in section and "新建服务申请" in section
    page = client.get(reverse("workbench:service_request_create", args=[customer.number]), {"type": fx.pk}).content.decode()
    assert "发送客户确认" in page and "网上银行" in page


def test_the_create_page_issues_a_bounded_number_of_queries(client, org, setup, django_assert_max_num_queries):
    customer, _foreign, fx = setup
    url = reverse("workbench:service_request_create", args=[customer.number])
    as_user(client, org.manager).get(url)
    with django_assert_max_num_queries(15):
        assert client.get(url, {"type": fx.pk}).status_code == 200
