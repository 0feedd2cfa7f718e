"""Field classification per bank and channel kind: a field the bank's policy leaves out never appears
in any customer endpoint; the defaults keep today's table; a policy change is audited."""

import json
import uuid

import pytest

from ocrm.audit.models import AuditLog
from tests.factories import make_customer
from tests.workbench.channelapi.client import SigningClient
from workbench.channelapi import classification, credentials, lookup, summary
from workbench.channelapi.models import ChannelFieldPolicy

pytestmark = pytest.mark.django_db(transaction=True)

# Every customer endpoint of the channel API and how to call it for customer C-5.
ENDPOINTS = {
    "lookup": lambda api: api.post("/api/v1/channel/customers/lookup", {"customer_number": "C-5"}, idempotency_key="c"),
    "summary": lambda api: api.get("/api/v1/channel/customers/C-5/summary"),
    "service-contact": lambda api: api.post(
        "/api/v1/channel/customers/C-5/contacts", {"subject": "Visit"}, idempotency_key=f"ct-{uuid.uuid4().hex}"
    ),
}


def test_every_field_the_code_can_send_is_classified():
    assert set(lookup.LOOKUP_FIELDS) | set(summary.SUMMARY_FIELDS) <= set(classification.FIELD_LABELS)


@pytest.mark.parametrize("forbidden", sorted(classification.FIELD_LABELS))
def test_a_forbidden_field_never_appears(live_server, org, forbidden):
    make_customer("C-5", org.a_sh, name_local="赵六", star_rating=3)
    client, secret = credentials.register(org.bank_a, "Phone", "phone")
    everything = [field for field in classification.FIELD_LABELS if field != forbidden]
    ChannelFieldPolicy.objects.create(bank=org.bank_a, kind="phone", fields=everything)
    api = SigningClient(live_server.url, client.key_id, secret)
    seen = set()
    for name, call in ENDPOINTS.items():
        status, body, _ = call(api)
        assert status in (200, 201), name
        assert forbidden not in body, name
        if forbidden == "name":
            assert "赵六" not in json.dumps(body, ensure_ascii=False), name
        seen |= set(body) & set(classification.FIELD_LABELS)
    assert seen == set(everything)  # the others are all sent


def test_defaults_and_another_banks_policy(live_server, org):
    make_customer("C-5", org.a_sh, name_local="赵六")
    ChannelFieldPolicy.objects.create(bank=org.bank_b, kind="counter", fields=["number", "name"])
    client, secret = credentials.register(org.bank_a, "Counter", "counter")
    status, body, _ = ENDPOINTS["lookup"](SigningClient(live_server.url, client.key_id, secret))
    assert status == 200 and set(body) == {"number", "name_masked", "star_rating", "tier"}


def test_policy_change_is_audited(org):
    policy = ChannelFieldPolicy.objects.create(bank=org.bank_a, kind="online", fields=["number"])
    policy.fields = ["number", "offers"]
    policy.save()
    assert AuditLog.objects.filter(object_type__icontains="channelfieldpolicy").count() >= 2
