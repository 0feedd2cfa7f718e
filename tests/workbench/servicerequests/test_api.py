"""The channel API's service request endpoints over real HTTP with the signing client, exactly one
winner among 100 concurrent confirmations, and appointments booked from a channel."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from ocrm.errors import Refused
from sysadmin.org.models import Holiday
from tests.factories import make_customer, make_staff
from tests.workbench.channelapi.client import SigningClient
from workbench.calendar.models import Appointment
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


def _next_working_day(days_ahead=3):
    day = timezone.now().date() + datetime.timedelta(days=days_ahead)
    while day.isoweekday() > 5:
        day += datetime.timedelta(days=1)
    return day


@pytest.mark.django_db(transaction=True)
def test_a_channel_books_an_appointment_within_the_branch_calendar_and_its_slots(live_server, org):
    services.seed_built_in_types(org.bank_a)
    customer = make_customer("C-APP-1", org.a_sh, org.manager)
    make_customer("C-APP-2", org.a_sh)  # no relationship manager
    client, secret = credentials.register(org.bank_a, "Phone", ChannelClient.Kind.PHONE)
    api = SigningClient(live_server.url, client.key_id, secret)
    path = f"/api/v1/customers/{customer.number}/appointments"
    day = _next_working_day()
    data = {"branch": "A-SH", "date": day.isoformat(), "time": "10:00", "purpose": "Open an account"}

    status, body, _ = api.post(path, data, idempotency_key="a1")
    assert status == 201 and body["status"] == "confirmed" and body["type"] == "appointment"
    assert body["content"] == {**data}
    assert api.post(path, data, idempotency_key="a1")[1] == body  # a retry books nothing more
    booked = ServiceRequest.objects.get(reference=body["reference"])
    assert booked.confirmed_channel == "phone" and booked.step_role == "teller" and booked.created_by == org.manager
    assert services.verify_log(booked) == (True, None)
    assert Appointment.objects.filter(customer=customer, owner=org.manager).count() == 1
    assert WebhookEvent.objects.filter(event_type="service_request.status", payload__status="confirmed").count() == 1

    # The branch calendar, its hours and the slot's capacity (3 by default), each naming the field.
    saturday = day + datetime.timedelta(days=(6 - day.isoweekday()) % 7)
    Holiday.objects.create(bank=org.bank_a, country="CN", date=day + datetime.timedelta(days=7), name="Holiday")
    refused = {
        "date": [{**data, "date": saturday.isoformat()}, {**data, "date": (day + datetime.timedelta(days=7)).isoformat()}],
        "time": [{**data, "time": "19:30"}],
        "branch": [{**data, "branch": "NOPE"}],
    }
    for field, bodies in refused.items():
        for index, bad in enumerate(bodies):
            status, answer, _ = api.post(path, bad, idempotency_key=f"bad-{field}-{index}")
            assert status == 400 and field in answer, (field, answer)
    for key in ("a2", "a3"):
        assert api.post(path, data, idempotency_key=key)[0] == 201
    status, answer, _ = api.post(path, data, idempotency_key="a4")
    assert status == 400 and "fully booked" in answer["time"][0]
    assert ServiceRequest.objects.filter(request_type__code="appointment").count() == 3

    # Without a relationship manager: refused with a message; another bank's channel: 404.
    status, answer, _ = api.post("/api/v1/customers/C-APP-2/appointments", data, idempotency_key="a5")
    assert status == 409 and "relationship manager" in answer["detail"]
    other, other_secret = credentials.register(org.bank_b, "Phone B", ChannelClient.Kind.PHONE)
    assert SigningClient(live_server.url, other.key_id, other_secret).post(path, data, idempotency_key="a6")[0] == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_never_overfill_a_slot(live_server, org):
    services.seed_built_in_types(org.bank_a)
    customer = make_customer("C-APP-3", org.a_sh, org.manager)
    client, secret = credentials.register(org.bank_a, "Counter", ChannelClient.Kind.COUNTER)
    api = SigningClient(live_server.url, client.key_id, secret)
    data = {"branch": "A-SH", "date": _next_working_day().isoformat(), "time": "11:00"}
    statuses = []

    def book(index):
        statuses.append(api.post(f"/api/v1/customers/{customer.number}/appointments", data, idempotency_key=f"c{index}")[0])

    threads = [threading.Thread(target=book, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 3 + [400] * 5
    assert ServiceRequest.objects.filter(request_type__code="appointment").count() == 3
