"""The channel API kernel over real HTTP: signature, time window, replay, credentials, rate limit,
idempotency, audit."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.workbench.channelapi.client import SigningClient
from workbench.channelapi import credentials, webhooks
from workbench.channelapi.models import ChannelCall, ChannelClient, IdempotencyRecord, WebhookEvent

WHOAMI = "/api/v1/channel/whoami"
ECHO = "/api/v1/channel/echo"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def counter(org):
    client, secret = credentials.register(org.bank_a, "Counter 1", ChannelClient.Kind.COUNTER)
    return client, secret


def test_signed_call_is_answered_and_audited(live_server, counter):
    client, secret = counter
    status, body, _ = SigningClient(live_server.url, client.key_id, secret).get(WHOAMI)
    assert status == 200
    assert body == {"name": "Counter 1", "kind": "counter", "bank": client.bank.code}
    call = ChannelCall.objects.get(client=client)
    assert (call.endpoint, call.status_code, call.outcome) == ("whoami", 200, "ok")


def test_bad_signature_and_no_credentials_are_refused(live_server, counter):
    client, _secret = counter
    status, _, _ = SigningClient(live_server.url, client.key_id, "wrong").get(WHOAMI)
    assert status in (401, 403)
    status, _, _ = SigningClient(live_server.url, "", "").request("GET", WHOAMI, headers={"X-Channel-Key": ""})
    assert status in (401, 403)


def test_expired_timestamp_and_replayed_nonce_are_refused(live_server, counter):
    client, secret = counter
    api = SigningClient(live_server.url, client.key_id, secret)
    assert api.get(WHOAMI, timestamp=int(time.time()) - 301)[0] == 401
    assert api.get(WHOAMI, timestamp=int(time.time()) + 301)[0] == 401
    assert api.get(WHOAMI, nonce="n-1")[0] == 200
    assert api.get(WHOAMI, nonce="n-1")[0] == 401


def test_rotation_keeps_the_old_secret_for_the_overlap_then_refuses_it(live_server, counter):
    client, old_secret = counter
    client, new_secret = credentials.rotate(client)
    assert SigningClient(live_server.url, client.key_id, old_secret).get(WHOAMI)[0] == 200
    assert SigningClient(live_server.url, client.key_id, new_secret).get(WHOAMI)[0] == 200
    ChannelClient.objects.filter(pk=client.pk).update(previous_valid_until=timezone.now() - timedelta(seconds=1))
    assert SigningClient(live_server.url, client.key_id, old_secret).get(WHOAMI)[0] == 401
    assert SigningClient(live_server.url, client.key_id, new_secret).get(WHOAMI)[0] == 200
    # Neither the secret nor the key derived from it is stored in clear.
    client.refresh_from_db()
    stored = (client.signing_key_encrypted, client.previous_signing_key_encrypted)
    for clear in (new_secret, old_secret, credentials.digest(new_secret), credentials.digest(old_secret)):
        assert all(clear not in value for value in stored)


def test_a_table_reader_cannot_sign_the_row_holds_only_ciphertext(live_server, counter):
    client, secret = counter
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM workbench_channelclient WHERE id = %s", [client.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert secret not in row
    assert credentials.digest(secret) not in row
    assert client.webhook_secret and client.webhook_secret not in row
    # Signing with what the table holds is refused; the real secret works.
    assert SigningClient(live_server.url, client.key_id, client.signing_key_encrypted).get(WHOAMI)[0] == 401
    forged = SigningClient(live_server.url, client.key_id, "x")
    forged.secret_digest = client.signing_key_encrypted
    assert forged.get(WHOAMI)[0] == 401
    assert SigningClient(live_server.url, client.key_id, secret).get(WHOAMI)[0] == 200


def test_revoked_and_expired_credentials_are_refused(live_server, counter):
    client, secret = counter
    ChannelClient.objects.filter(pk=client.pk).update(secret_expires_at=timezone.now() - timedelta(seconds=1))
    assert SigningClient(live_server.url, client.key_id, secret).get(WHOAMI)[0] == 401
    ChannelClient.objects.filter(pk=client.pk).update(secret_expires_at=timezone.now() + timedelta(days=1))
    credentials.revoke(client)
    assert SigningClient(live_server.url, client.key_id, secret).get(WHOAMI)[0] == 401


def test_rate_limit_answers_429_with_retry_after(live_server, org):
    client, secret = credentials.register(org.bank_a, "Slow", ChannelClient.Kind.PHONE, requests_per_minute=3)
    api = SigningClient(live_server.url, client.key_id, secret)
    window = int(time.time()) // 60
    statuses = [api.get(WHOAMI) for _ in range(4)]
    if int(time.time()) // 60 != window:  # the window turned over mid-test: count again, in the new one
        statuses = [api.get(WHOAMI) for _ in range(4)]
    assert [s[0] for s in statuses[:3]] == [200, 200, 200]
    status, _, headers = statuses[3]
    assert status == 429
    assert 1 <= int(headers["Retry-After"]) <= 60


def test_idempotency_same_body_replays_different_body_422_missing_key_400(live_server, counter):
    client, secret = counter
    api = SigningClient(live_server.url, client.key_id, secret)
    first = api.post(ECHO, {"a": 1}, idempotency_key="k-1")
    again = api.post(ECHO, {"a": 1}, idempotency_key="k-1")
    assert first[0] == again[0] == 201
    assert first[1] == again[1] == {"received": {"a": 1}}
    assert again[2].get("Idempotent-Replayed") == "true"
    assert api.post(ECHO, {"a": 2}, idempotency_key="k-1")[0] == 422
    assert api.post(ECHO, {"a": 2})[0] == 400
    assert IdempotencyRecord.objects.filter(client=client).count() == 1


def test_hundred_concurrent_retries_have_one_effect(live_server, counter):
    client, secret = counter
    api = SigningClient(live_server.url, client.key_id, secret)
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: api.post(ECHO, {"b": 1}, idempotency_key="same"), range(100)))
    assert {r[0] for r in results} == {201}
    replayed = [r for r in results if r[2].get("Idempotent-Replayed") == "true"]
    assert len(replayed) == 99
    assert IdempotencyRecord.objects.filter(client=client, key="same").count() == 1


def test_publish_stores_the_event(org):
    event = webhooks.publish(org.bank_a.pk, "service_request.status", {"status": "done"})
    assert WebhookEvent.objects.get(pk=event.pk).payload == {"status": "done"}
