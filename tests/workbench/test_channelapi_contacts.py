"""A service contact reported by a channel lands in the customer's contact history (idempotent, the
bank's customers only), and the OpenAPI schema documents every endpoint without a warning."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.master.models import ServiceContact
from tests.factories import make_customer
from tests.workbench.channelapi.client import SigningClient
from workbench.channelapi import credentials
from workbench.channelapi.models import ChannelCall

pytestmark = pytest.mark.django_db(transaction=True)


def path(number):
    return f"/api/v1/channel/customers/{number}/contacts"


def test_a_counter_records_a_contact_once_however_often_it_retries(live_server, org):
    make_customer("C-CT-1", org.a_sh)
    counter, secret = credentials.register(org.bank_a, "Counter", "counter")
    api = SigningClient(live_server.url, counter.key_id, secret)
    report = {"subject": "Asked about time deposits", "outcome": "Brochure given", "operator": "T-0420"}
    status, body, _ = api.post(path("C-CT-1"), report, idempotency_key="c-1")
    assert status == 201 and body["channel"] == "branch" and "customer" not in body
    assert api.post(path("C-CT-1"), report, idempotency_key="c-1")[0] == 201
    contact = ServiceContact.objects.get(customer__number="C-CT-1")
    assert contact.role == "teller" and contact.staff is None and "T-0420" in contact.notes
    assert contact.subject == "Asked about time deposits"
    # The same key with another body is refused; the history keeps one contact.
    assert api.post(path("C-CT-1"), {**report, "subject": "Else"}, idempotency_key="c-1")[0] == 422
    assert ServiceContact.objects.filter(customer__number="C-CT-1").count() == 1
    assert ChannelCall.objects.filter(client=counter, endpoint="service-contact", customer__number="C-CT-1").exists()


def test_bad_reports_and_foreign_customers_are_refused(live_server, org):
    make_customer("C-CT-2", org.a_sh)
    make_customer("B-CT-1", org.b_hk)
    phone, secret = credentials.register(org.bank_a, "Phone", "phone")
    api = SigningClient(live_server.url, phone.key_id, secret)
    status, body, _ = api.post(path("C-CT-2"), {"outcome": "no subject"}, idempotency_key="b-1")
    assert status == 400 and "subject" in body
    future = (timezone.now() + datetime.timedelta(hours=2)).isoformat()
    status, body, _ = api.post(path("C-CT-2"), {"subject": "x", "occurred_at": future}, idempotency_key="b-2")
    assert status == 400 and "occurred_at" in body
    assert api.post(path("B-CT-1"), {"subject": "x"}, idempotency_key="b-3")[0] == 404
    status, body, _ = api.post(path("C-CT-2"), {"subject": "Called back"}, idempotency_key="b-4")
    assert status == 201 and body["channel"] == "phone"
    assert ServiceContact.objects.get(customer__number="C-CT-2").role == "call_centre"
    assert not ServiceContact.objects.filter(customer__number="B-CT-1").exists()


def test_a_get_only_endpoint_offers_no_post(live_server, org):
    counter, secret = credentials.register(org.bank_a, "Counter", "counter")
    api = SigningClient(live_server.url, counter.key_id, secret)
    assert api.post("/api/v1/channel/whoami", {}, idempotency_key="w-1")[0] == 405


def test_the_schema_documents_every_endpoint_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = out.read_text()
    for name in ("LookupResponse", "SummaryResponse", "ContactRequest", "ContactResponse"):
        assert f"    {name}:" in schema
    stream = io.StringIO()
    call_command("check", "--deploy", stdout=stream, stderr=stream, fail_level="CRITICAL")
    assert "drf_spectacular" not in stream.getvalue()
