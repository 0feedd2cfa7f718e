"""Field classification per bank and channel kind: a field the bank's policy leaves out never appears
in any customer endpoint (the service requests' pre-filled content included); the defaults keep
today's table; a policy change is audited."""

import datetime
import json
import uuid

import pytest
from django.utils import timezone

from customers.master.models import Holding
from ocrm import pii
from ocrm.audit.models import AuditLog
from tests.factories import make_customer, make_product, make_staff
from tests.workbench.channelapi.client import SigningClient
from workbench.channelapi import classification, credentials, lookup, summary
from workbench.channelapi.models import ChannelFieldPolicy
from workbench.servicerequests import services
from workbench.servicerequests.models import ServiceRequestType

pytestmark = pytest.mark.django_db(transaction=True)

SR = "/api/v1/customers/C-5/service-requests"
MOBILE = "13912345678"


def _post(path, data):
    return lambda api, refs: api.post(path(refs) if callable(path) else path, data, idempotency_key=uuid.uuid4().hex)


# Every customer endpoint of the channel API and how to call it for customer C-5 (refs: its two sent
# requests' references and content hashes).
ENDPOINTS = {
    "lookup": _post("/api/v1/channel/customers/lookup", {"customer_number": "C-5"}),
    "summary": lambda api, refs: api.get("/api/v1/channel/customers/C-5/summary"),
    "service-contact": _post("/api/v1/channel/customers/C-5/contacts", {"subject": "Visit"}),
    "service-requests-pending": lambda api, refs: api.get(f"{SR}/pending"),
    "service-request-status": lambda api, refs: api.get(f"{SR}/{refs[0][0]}"),
    "service-request-progress": lambda api, refs: api.get(
        f"/api/v1/channel/customers/C-5/service-requests/{refs[0][0]}/progress"
    ),
    "service-request-confirm": lambda api, refs: api.post(
        f"{SR}/{refs[0][0]}/confirm", {"content_hash": refs[0][1]}, idempotency_key=uuid.uuid4().hex
    ),
    "service-request-decline": lambda api, refs: api.post(
        f"{SR}/{refs[1][0]}/decline", {"content_hash": refs[1][1]}, idempotency_key=uuid.uuid4().hex
    ),
    "appointment-book": lambda api, refs: api.post(
        "/api/v1/customers/C-5/appointments",
        {"branch": "A-SH", "date": _working_day().isoformat(), "time": "10:00", "purpose": "See 赵六"},
        idempotency_key=uuid.uuid4().hex,
    ),
    "non-financial-transaction": _post(
        "/api/v1/channel/customers/C-5/transactions", {"account_number": "6222000055", "type": "statement_request"}
    ),
}
# A request type whose form copies the customer's name and number and asks for a personal mobile number;
# its free text names the customer.
FORM = [
    {"name": "holder", "label": "Holder", "type": "text", "default_from": "name_local"},
    {"name": "customer_no", "label": "Customer", "type": "text", "default_from": "number"},
    {"name": "mobile", "label": "Mobile", "type": "text", "pii": "phone"},
    {"name": "remark", "label": "Remark", "type": "text"},
]


def _working_day():
    day = timezone.now().date() + datetime.timedelta(days=3)
    while day.isoweekday() > 5:
        day += datetime.timedelta(days=1)
    return day


def _sent_requests(org, customer):
    services.seed_built_in_types(org.bank_a)
    Holding.objects.create(
        bank_id=org.bank_a.pk, customer=customer, product=make_product(org.bank_a), account_number="6222000055", currency="CNY"
    )
    kind = ServiceRequestType.objects.create(
        bank=org.bank_a, code="card", name="Card", form_schema=FORM, channels=["phone"], active=True
    )
    maker = make_staff("cl.maker", branch=org.a_sh, is_superuser=True)
    data = {"mobile": MOBILE, "remark": "Call 赵六 back"}
    sent = [services.send(maker, services.create_request(maker, customer, kind, data)) for _ in range(2)]
    return [(row.reference, row.content_hash) for row in sent]


def _classified_in(body):
    """The classification's fields a body carries: its keys, and what its requests' content shows."""
    rows = body if isinstance(body, list) else [body]
    seen = set()
    for row in rows:
        seen |= set(row) & set(classification.FIELD_LABELS)
        content = row.get("content") or {}
        if content.get("holder") == "赵六":
            seen.add("name")
        if content.get("holder") == pii.mask_text("赵六"):
            seen.add("name_masked")
        if content.get("customer_no") == "C-5":
            seen.add("number")
        if content.get("mobile") == MOBILE:
            seen.add("personal_data")
    return seen


def test_every_field_the_code_can_send_is_classified():
    assert set(lookup.LOOKUP_FIELDS) | set(summary.SUMMARY_FIELDS) <= set(classification.FIELD_LABELS)


@pytest.mark.parametrize("forbidden", sorted(classification.FIELD_LABELS))
def test_a_forbidden_field_never_appears(live_server, org, forbidden):
    customer = make_customer("C-5", org.a_sh, org.manager, name_local="赵六", star_rating=3)
    refs = _sent_requests(org, customer)
    client, secret = credentials.register(org.bank_a, "Phone", "phone")
    everything = [field for field in classification.FIELD_LABELS if field != forbidden]
    ChannelFieldPolicy.objects.create(bank=org.bank_a, kind="phone", fields=everything)
    api = SigningClient(live_server.url, client.key_id, secret)
    # What the forbidden field would show, anywhere in an answer.
    tell_tale = {"name": "赵六", "name_masked": pii.mask_text("赵六"), "personal_data": MOBILE}.get(forbidden)
    seen = set()
    for name, call in ENDPOINTS.items():
        status, body, _ = call(api, refs)
        assert status in (200, 201), (name, body)
        classified = _classified_in(body)
        assert forbidden not in classified, name
        if tell_tale:
            assert tell_tale not in json.dumps(body, ensure_ascii=False), name
        seen |= classified
    assert seen == set(everything)  # the others are all sent


def test_a_request_shows_no_customer_field_without_name_or_masked_name(live_server, org):
    customer = make_customer("C-5", org.a_sh, name_local="赵六", name_latin="Zhao Liu")
    refs = _sent_requests(org, customer)
    client, secret = credentials.register(org.bank_a, "Phone", "phone")
    ChannelFieldPolicy.objects.create(bank=org.bank_a, kind="phone", fields=["star_rating"])
    api = SigningClient(live_server.url, client.key_id, secret)
    status, body, _ = ENDPOINTS["service-request-status"](api, refs)
    assert status == 200
    # Only the free text stays, its name starred; the hash is still the whole content's.
    assert body["content"] == {"remark": "Call ** back"} and body["content_hash"] == refs[0][1]


def test_defaults_and_another_banks_policy(live_server, org):
    make_customer("C-5", org.a_sh, name_local="赵六")
    ChannelFieldPolicy.objects.create(bank=org.bank_b, kind="counter", fields=["number", "name"])
    client, secret = credentials.register(org.bank_a, "Counter", "counter")
    status, body, _ = ENDPOINTS["lookup"](SigningClient(live_server.url, client.key_id, secret), [])
    assert status == 200 and set(body) == {"number", "name_masked", "star_rating", "tier"}


def test_policy_change_is_audited(org):
    policy = ChannelFieldPolicy.objects.create(bank=org.bank_a, kind="online", fields=["number"])
    policy.fields = ["number", "offers"]
    policy.save()
    assert AuditLog.objects.filter(object_type__icontains="channelfieldpolicy").count() >= 2
