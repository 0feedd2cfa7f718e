"""The transaction-bus client against the local bus (a real HTTP server on 127.0.0.1): slow,
failing and malformed answers, the circuit breaker opening and closing, every call audited."""

import datetime
import time

import pytest
from django.core.cache import cache

from crossborder.bus.client import BusClient, BusInvalid, BusUnavailable, CircuitBreaker
from crossborder.bus.localbus import LocalBus
from crossborder.requests import services
from crossborder.requests.models import ServiceType
from ocrm.audit.models import AuditLog
from tests.factories import make_customer


@pytest.fixture
def bus():
    server = LocalBus().start()
    yield server
    server.stop()


@pytest.fixture
def breaker():
    breaker = CircuitBreaker(f"test{time.monotonic_ns()}", threshold=2, cool_off=0.5)
    yield breaker
    cache.delete(breaker.key)


def client(bus, breaker, **kwargs):
    return BusClient(bus.url, name="test", breaker=breaker, timeout=0.3, retries=1, backoff=0.01, **kwargs)


def test_good_answer_is_validated_and_cached_for_the_request(bus, breaker):
    bus_client = client(bus, breaker)
    answer = bus_client.lookup("C-1")
    assert answer["kyc_status"] == "verified" and answer["accounts"][0]["currency"] == "GBP"
    assert str(answer["accounts"][0]["balance"]) == "12500.00"
    bus_client.lookup("C-1")
    assert bus.hits == 1  # the second look-up came from the request's cache


def test_slow_answer_times_out_after_retries(bus, breaker):
    began = time.monotonic()
    with pytest.raises(BusUnavailable):
        client(bus, breaker).lookup("SLOW-1")
    assert bus.hits == 2  # one try and one retry
    assert time.monotonic() - began < 2  # the timeout, not the bus's 2 s


def test_malformed_and_odd_answers_are_refused(bus, breaker):
    with pytest.raises(BusInvalid):
        client(bus, breaker).lookup("BAD-1")
    with pytest.raises(BusInvalid):
        client(bus, breaker).lookup("ODD-1")


def test_breaker_opens_fails_fast_and_closes_after_a_good_trial(bus, breaker):
    bus.failing = True
    for _ in range(2):
        with pytest.raises(BusUnavailable):
            client(bus, breaker).lookup("C-2")
    assert breaker.state() == "open"
    hits = bus.hits
    with pytest.raises(BusUnavailable):
        client(bus, breaker).lookup("C-2")
    assert bus.hits == hits  # open: no call reached the bus
    time.sleep(0.6)
    assert breaker.state() == "half_open"
    with pytest.raises(BusUnavailable):  # the trial fails: open again
        client(bus, breaker).lookup("C-2")
    assert breaker.state() == "open"
    bus.failing = False
    time.sleep(0.6)
    assert client(bus, breaker).lookup("C-2")["kyc_status"] == "verified"
    assert breaker.state() == "closed"


def test_every_call_is_audited(bus, breaker, org):
    customer = make_customer("C-BUS-1", org.a_sh, manager=org.manager)
    request = services.submit(
        org.manager,
        customer_id=customer.pk,
        to_branch=org.a_ldn,
        service_type=ServiceType.objects.get(code="remittance_support"),
        form_data={"reference": "R1"},
        now=datetime.datetime(2026, 1, 12, 9, tzinfo=datetime.UTC),
    )
    bus_client = client(bus, breaker)
    bus_client.lookup("C-3", request=request, actor=org.manager)
    with pytest.raises(BusInvalid):
        bus_client.lookup("BAD-3", request=request, actor=org.manager)
    outcomes = list(
        AuditLog.objects.filter(detail__event="crossborder_bus_lookup").order_by("id").values_list("detail__outcome", flat=True)
    )
    assert outcomes == ["ok", "invalid"]
