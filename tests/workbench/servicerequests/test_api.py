"""The channel API's service request endpoints over real HTTP with the signing client, and exactly
one winner among 100 concurrent confirmations."""

import threading

import pytest
from django.db import connection

from ocrm.errors import Refused
from tests.factories import make_customer, make_staff
from tests.workbench.channelapi.client import SigningClient
from workbench.channelapi import credentials
from workbench.channelapi.models import ChannelClient, WebhookEvent
from workbench.servicerequests import services
from workbench.servicerequests.models import ServiceRequest, ServiceRequestType

FX = {"currency": "USD", "amount": "1000", "branch": "A-SH", "pickup_date": "2026-12-10"}


@pytest.fixture
def sent(org):
    services.seed_built_in_types(org.bank_a)
    customer = make_customer("C-API-1", org.a_sh, org.manager)
    kind = ServiceRequestType.objects.get(bank=org.bank_a, code="fx_cash_exchange")
    # A superuser prepares it: the scope rules are tested in test_services.py.
    maker = make_staff("sr.maker", branch=org.a_sh, is_superuser=True)
    request = services.send(maker, services.create_request(maker, customer, kind, FX))
    return customer, request


@pytest.mark.django_db(transaction=True)
def test_the_customer_confirms_the_exact_content_through_the_channel(live_server, org, sent):
    customer, request = sent
    client, secret = credentials.register(org.bank_a, "Online", ChannelClient.Kind.ONLINE)
    api = SigningClient(live_server.url, client.key_id, secret, customer_ref=customer.number)
    base = f"/api/v1/customers/{customer.number}/service-requests"
    status, body, _ = api.get(f"{base}/pending")
    assert status == 200 and [row["reference"] for row in body] == [request.reference]
    shown_hash = body[0]["content_hash"]
    services.edit(request.created_by, request, {**FX, "amount": "1500"})
    status, body, _ = api.post(f"{base}/{request.reference}/confirm", {"content_hash": shown_hash}, idempotency_key="k1")
    assert status == 409 and "changed after it was sent" in body["detail"]
    status, body, _ = api.get(f"{base}/pending")
    status, body, _ = api.post(
        f"{base}/{request.reference}/confirm", {"content_hash": body[0]["content_hash"]}, idempotency_key="k2"
    )
    assert status == 200 and body["status"] == "confirmed" and body["content"]["amount"] == "1500"
    assert api.get(f"{base}/{request.reference}")[1]["status"] == "confirmed"
    assert WebhookEvent.objects.filter(event_type="service_request.status", payload__status="confirmed").count() == 1
    # Another bank's channel does not reach the request.
    other, other_secret = credentials.register(org.bank_b, "Online B", ChannelClient.Kind.ONLINE)
    foreign = SigningClient(live_server.url, other.key_id, other_secret, customer_ref=customer.number)
    assert foreign.get(f"{base}/{request.reference}")[0] == 404


@pytest.mark.django_db(transaction=True)
def test_a_hundred_concurrent_confirmations_make_exactly_one_transition(org, sent):
    customer, request = sent
    outcomes = []
    barrier = threading.Barrier(20)

    def confirm_five():
        try:
            barrier.wait()
            for _ in range(5):
                try:
                    services.confirm(customer, request.reference, request.content_hash, "online")
                    outcomes.append("ok")
                except Refused:
                    outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm_five) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 100
    assert outcomes.count("ok") == 1
    request.refresh_from_db()
    assert request.status == ServiceRequest.Status.CONFIRMED
    assert request.log_entries.filter(event="status:confirmed").count() == 1
    assert services.verify_log(request) == (True, None)
