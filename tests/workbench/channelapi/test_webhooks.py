"""Webhook delivery against a real HTTP receiver on 127.0.0.1: signature per attempt, retry with
backoff, pause after consecutive failures, dead letters and their replay, a real Celery worker."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from ocrm.errors import NotVisible
from workbench.channelapi import credentials, delivery, webhooks
from workbench.channelapi.models import ChannelClient, WebhookDelivery


class Receiver:
    """Answers each POST with the next status of `statuses` (then 200) and keeps what it got."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.received = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for item in made:
        item.close()


def _subscriber(bank, url, name="Online"):
    client, _secret = credentials.register(bank, name, ChannelClient.Kind.ONLINE, webhook_url=url)
    return client


def _make_due():
    WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).update(next_attempt_at=timezone.now())


@pytest.mark.django_db
def test_delivery_is_signed_per_attempt_and_retried_with_backoff(org, receiver):
    hook = receiver([500, 503])
    client = _subscriber(org.bank_a, hook.url)
    event = webhooks.publish(org.bank_a.pk, "service_request.status", {"status": "done"})
    row = WebhookDelivery.objects.get(event=event, client=client)

    assert delivery.deliver_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    first_wait = row.next_attempt_at - timezone.now()
    assert timedelta(seconds=25) < first_wait <= timedelta(seconds=30)
    assert delivery.deliver_due() == 0  # not due yet

    _make_due()
    delivery.deliver_due()
    row.refresh_from_db()
    assert row.attempts == 2
    assert timedelta(seconds=55) < row.next_attempt_at - timezone.now() <= timedelta(seconds=60)  # doubled

    _make_due()
    delivery.deliver_due()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("delivered", 3)
    client.refresh_from_db()
    assert client.webhook_failures == 0

    secret = client.webhook_secret
    for headers, body in hook.received:
        expected = hmac.new(secret.encode(), headers["X-Webhook-Timestamp"].encode() + b"\n" + body, hashlib.sha256)
        assert headers["X-Webhook-Signature"] == expected.hexdigest()
        assert json.loads(body)["payload"] == {"status": "done"}
    assert [h["X-Webhook-Attempt"] for h, _ in hook.received] == ["1", "2", "3"]


@pytest.mark.django_db
def test_consecutive_failures_pause_the_client_and_replay_resumes(org, receiver, settings):
    hook = receiver([500] * 5)
    client = _subscriber(org.bank_a, hook.url)
    events = [webhooks.publish(org.bank_a.pk, "e", {"n": n}) for n in range(7)]
    for _ in range(5):
        _make_due()
        delivery.deliver_due(limit=1)
    client.refresh_from_db()
    assert client.webhooks_paused_at is not None
    dead = list(delivery.dead_letters(org.bank_a))
    assert len(dead) == 7  # the failing ones and the rest not attempted
    assert delivery.deliver_due() == 0
    # Paused: a new event is not queued for it.
    webhooks.publish(org.bank_a.pk, "e", {"n": 99})
    assert WebhookDelivery.objects.filter(client=client).count() == 7

    # Another bank's administrator cannot replay them.
    with pytest.raises(NotVisible):
        delivery.replay(org.bank_b, [dead[0].pk])
    assert delivery.replay(org.bank_a, [d.pk for d in dead]) == 7
    client.refresh_from_db()
    assert client.webhooks_paused_at is None and client.webhook_failures == 0
    assert delivery.deliver_due() == 7
    assert WebhookDelivery.objects.filter(client=client, status="delivered").count() == 7
    assert {json.loads(body)["id"] for _, body in hook.received[5:]} == {e.pk for e in events}


@pytest.mark.django_db
def test_unreachable_url_and_exhausted_attempts_make_a_dead_letter(org, receiver):
    hook = receiver()
    url = hook.url
    hook.close()  # nobody listens any more
    client = _subscriber(org.bank_a, url)
    webhooks.publish(org.bank_a.pk, "e", {})
    for _ in range(3):
        _make_due()
        delivery.deliver_due()
    row = WebhookDelivery.objects.get(client=client)
    assert row.last_status_code is None and row.last_error
    ChannelClient.objects.filter(pk=client.pk).update(webhook_failures=0)
    WebhookDelivery.objects.filter(pk=row.pk).update(attempts=7)
    _make_due()
    delivery.deliver_due()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("dead", 8)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_after_publish(org, receiver, celery_worker):
    hook = receiver()
    _subscriber(org.bank_a, hook.url)
    webhooks.publish(org.bank_a.pk, "service_request.status", {"status": "accepted"})
    deadline = time.monotonic() + 30
    while not hook.received and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(hook.received) == 1
    assert json.loads(hook.received[0][1])["type"] == "service_request.status"
    assert WebhookDelivery.objects.get().status == "delivered"


@pytest.mark.django_db
def test_dead_letter_page_lists_the_banks_own_and_replays(org, receiver, make_staff, client):
    hook = receiver([500])
    subscriber = _subscriber(org.bank_a, hook.url)
    other = _subscriber(org.bank_b, hook.url, name="Other bank")
    webhooks.publish(org.bank_a.pk, "mine", {})
    webhooks.publish(org.bank_b.pk, "theirs", {})
    WebhookDelivery.objects.update(status=WebhookDelivery.Status.DEAD, last_error="HTTP 500")
    ChannelClient.objects.filter(pk=subscriber.pk).update(webhooks_paused_at=timezone.now(), webhook_failures=5)

    plain = make_staff("plain.a", bank=org.bank_a)
    client.force_login(plain)
    assert client.get("/workbench/channels/dead-letters/").status_code == 403

    admin = make_staff("admin.a", bank=org.bank_a)
    admin.user_permissions.add(Permission.objects.get(codename="manage_channelclients"))
    client.force_login(admin)
    page = client.get("/workbench/channels/dead-letters/").content.decode()
    assert "mine" in page and "Online" in page
    assert "theirs" not in page and "Other bank" not in page

    theirs = WebhookDelivery.objects.get(client=other)
    assert client.post("/workbench/channels/dead-letters/", {"delivery": [theirs.pk]}).status_code == 404
    mine = WebhookDelivery.objects.get(client=subscriber)
    assert client.post("/workbench/channels/dead-letters/", {"delivery": [mine.pk]}).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == ("pending", "dead")
    assert ChannelClient.objects.get(pk=subscriber.pk).webhooks_paused_at is None
    assert delivery.deliver_due() == 1


@pytest.mark.django_db
def test_client_pages_register_show_the_secret_once_rotate_revoke(org, make_staff, client):
    admin = make_staff("admin.c", bank=org.bank_a)
    admin.user_permissions.add(Permission.objects.get(codename="manage_channelclients"))
    other_bank = _subscriber(org.bank_b, "", name="Bank B channel")
    client.force_login(admin)
    page = client.post(
        "/workbench/channels/", {"name": "Branch counters", "kind": "counter", "requests_per_minute": 100}
    ).content.decode()
    registered = ChannelClient.objects.get(bank=org.bank_a, name="Branch counters")
    secret = page.split('id="shown-secret">')[1].split("<")[0]
    assert registered.signing_keys() == [credentials.digest(secret)]
    listing = client.get("/workbench/channels/").content.decode()
    assert secret not in listing and "Bank B channel" not in listing
    again = {"name": "Branch counters", "kind": "counter", "requests_per_minute": 1}
    assert client.post("/workbench/channels/", again).status_code == 200
    assert ChannelClient.objects.filter(name="Branch counters").count() == 1

    rotated = client.post(f"/workbench/channels/{registered.pk}/rotate/").content.decode()
    new_secret = rotated.split('id="shown-secret">')[1].split("<")[0]
    registered.refresh_from_db()
    assert new_secret != secret and registered.signing_keys() == [credentials.digest(new_secret), credentials.digest(secret)]
    assert client.post(f"/workbench/channels/{other_bank.pk}/revoke/").status_code == 404
    assert client.post(f"/workbench/channels/{registered.pk}/revoke/").status_code == 302
    registered.refresh_from_db()
    assert registered.revoked_at is not None

    plain = make_staff("plain.c", bank=org.bank_a)
    client.force_login(plain)
    assert client.get("/workbench/channels/").status_code == 403
