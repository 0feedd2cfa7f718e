"""Customer look-up over real HTTP: fields per channel kind, other banks' and other customers' 404."""

import pytest

from tests.factories import make_customer
from tests.workbench.channelapi.client import SigningClient
from workbench.channelapi import credentials
from workbench.channelapi.models import ChannelCall

LOOKUP = "/api/v1/channel/customers/lookup"

pytestmark = pytest.mark.django_db(transaction=True)


def test_counter_sees_the_masked_name_only_phone_sees_the_name(live_server, org):
    make_customer("C-1", org.a_sh, name_local="王伟")
    counter, counter_secret = credentials.register(org.bank_a, "Counter", "counter")
    phone, phone_secret = credentials.register(org.bank_a, "Phone", "phone")
    status, body, _ = SigningClient(live_server.url, counter.key_id, counter_secret).post(
        LOOKUP, {"customer_number": "C-1"}, idempotency_key="l-1"
    )
    assert status == 200
    assert body["number"] == "C-1" and "name" not in body and "王伟" not in str(body)
    status, body, _ = SigningClient(live_server.url, phone.key_id, phone_secret).post(
        LOOKUP, {"customer_number": "C-1"}, idempotency_key="l-1"
    )
    assert status == 200 and body["name"] == "王伟" and "tier" not in body
    assert ChannelCall.objects.filter(client=counter, endpoint="customer-lookup", customer__number="C-1").exists()


def test_other_bank_and_other_online_customer_are_404(live_server, org):
    make_customer("C-1", org.a_sh)
    make_customer("C-2", org.a_sh)
    make_customer("B-1", org.b_hk)
    counter, secret = credentials.register(org.bank_a, "Counter", "counter")
    api = SigningClient(live_server.url, counter.key_id, secret)
    assert api.post(LOOKUP, {"customer_number": "B-1"}, idempotency_key="x-1")[0] == 404
    online, online_secret = credentials.register(org.bank_a, "Online", "online")
    as_c1 = SigningClient(live_server.url, online.key_id, online_secret, customer_ref="C-1")
    assert as_c1.post(LOOKUP, {"customer_number": "C-1"}, idempotency_key="o-1")[0] == 200
    assert as_c1.post(LOOKUP, {"customer_number": "C-2"}, idempotency_key="o-2")[0] == 404


def test_exactly_one_key_is_required(live_server, org):
    counter, secret = credentials.register(org.bank_a, "Counter", "counter")
    api = SigningClient(live_server.url, counter.key_id, secret)
    status, body, _ = api.post(LOOKUP, {}, idempotency_key="e-1")
    assert status == 400
