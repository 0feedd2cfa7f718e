"""Identity numbers and phones given to the channel API never reach a URL, a log or an audit row."""

import logging

import pytest
from django.core import serializers

from ocrm import accesslog
from ocrm.audit.models import AuditLog
from tests.factories import make_customer
from tests.workbench.channelapi.client import SigningClient
from workbench.channelapi import credentials
from workbench.channelapi.models import ChannelCall, IdempotencyRecord

pytestmark = pytest.mark.django_db(transaction=True)

ID_NUMBER = "11010519491231002X"
PHONE = "+8613912345678"


def test_numbers_in_lookups_reach_no_row_or_log(live_server, org, caplog):
    make_customer("C-7", org.a_sh)
    client, secret = credentials.register(org.bank_a, "Counter", "counter")
    api = SigningClient(live_server.url, client.key_id, secret)
    with caplog.at_level(logging.DEBUG):
        for n, body in enumerate([{"id_number": ID_NUMBER}, {"phone": PHONE}, {"id_number": ID_NUMBER, "phone": PHONE}]):
            status, _, _ = api.post("/api/v1/channel/customers/lookup", body, idempotency_key=f"p-{n}")
            assert status in (400, 404)
    assert ChannelCall.objects.filter(client=client).count() == 3
    stored = serializers.serialize(
        "json", [*ChannelCall.objects.all(), *IdempotencyRecord.objects.all(), *AuditLog.objects.all()]
    )
    logged = caplog.text
    for number in (ID_NUMBER, PHONE, PHONE[1:]):
        assert number not in stored
        assert number not in logged
    # A number put in a query by mistake is dropped from the access log.
    assert accesslog.is_private("/api/v1/channel/customers/lookup", f"id_number={ID_NUMBER}")
    assert ID_NUMBER not in accesslog.without_private_query(f"/api/v1/channel/whoami?id_number={ID_NUMBER}")
