"""Webhook delivery: each stored WebhookEvent goes to every subscribed client of its bank, signed per
attempt with a fresh timestamp, retried with exponential backoff; a client whose deliveries keep
failing is paused and its undelivered events become dead letters that an administrator replays.

Signature of a delivery (the channel verifies it with its webhook secret):
    X-Webhook-Signature = hex HMAC-SHA256(webhook secret, TIMESTAMP + "\\n" + body)
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ocrm import parameters
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from workbench.channelapi.models import ChannelClient, WebhookDelivery

TIMEOUT_SECONDS = 10
BATCH = 200
HEADER_ID = "X-Webhook-Id"
HEADER_TIMESTAMP = "X-Webhook-Timestamp"
HEADER_SIGNATURE = "X-Webhook-Signature"
HEADER_ATTEMPT = "X-Webhook-Attempt"


def webhook_signature(secret, timestamp, body):
    return hmac.new(secret.encode(), f"{timestamp}\n".encode() + body, hashlib.sha256).hexdigest()


def subscribers(bank_id):
    return ChannelClient.objects.filter(bank_id=bank_id, revoked_at__isnull=True, webhooks_paused_at__isnull=True).exclude(
        webhook_url=""
    )


def fan_out(event):
    """One pending delivery per subscribed client (a paused client gets none while paused)."""
    client_ids = subscribers(event.bank_id).values_list("pk", flat=True)
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(event=event, client_id=client_id) for client_id in client_ids], ignore_conflicts=True
    )


def body_of(event):
    return json.dumps(
        {"id": event.pk, "type": event.event_type, "created_at": event.created_at.isoformat(), "payload": event.payload},
        ensure_ascii=False,
        sort_keys=True,
    ).encode()


def _post(delivery):
    """(status code or None, error text) of one attempt."""
    body = body_of(delivery.event)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        delivery.client.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            HEADER_ID: str(delivery.pk),
            HEADER_TIMESTAMP: timestamp,
            HEADER_ATTEMPT: str(delivery.attempts + 1),
            HEADER_SIGNATURE: webhook_signature(delivery.client.webhook_secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return None, str(getattr(error, "reason", error))[:300]


def _backoff(bank_id, attempts):
    return timedelta(seconds=parameters.get("channelapi.webhook_backoff_seconds", bank_id) * 2 ** (attempts - 1))


def _attempt_one(now):
    """Attempt the next due delivery; False when none is due. The row stays locked during the
    attempt so that two workers never send the same delivery at once."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "client")
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now, client__webhooks_paused_at__isnull=True)
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if delivery is None:
            return False
        status_code, error = _post(delivery)
        delivery.attempts += 1
        delivery.last_status_code = status_code
        client = delivery.client
        if status_code is not None and 200 <= status_code < 300:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
            delivery.save()
            ChannelClient.objects.filter(pk=client.pk).update(webhook_failures=0)
            return True
        delivery.last_error = error or f"HTTP {status_code}"
        if delivery.attempts >= parameters.get("channelapi.webhook_max_attempts", client.bank_id):
            delivery.status = WebhookDelivery.Status.DEAD
        else:
            delivery.next_attempt_at = timezone.now() + _backoff(client.bank_id, delivery.attempts)
        delivery.save()
        ChannelClient.objects.filter(pk=client.pk).update(webhook_failures=F("webhook_failures") + 1)
        client.refresh_from_db(fields=["webhook_failures"])
        if client.webhook_failures >= parameters.get("channelapi.webhook_pause_after_failures", client.bank_id):
            _pause(client)
        return True


def _pause(client):
    ChannelClient.objects.filter(pk=client.pk).update(webhooks_paused_at=timezone.now())
    WebhookDelivery.objects.filter(client=client, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.DEAD, last_error="webhooks paused"
    )
    audit.record(AuditLog.Action.UPDATE, client, bank_id=client.bank_id, detail={"channel": "webhooks_paused"})


def deliver_due(limit=BATCH):
    """Attempt up to `limit` due deliveries; the number attempted."""
    now = timezone.now()
    attempted = 0
    while attempted < limit and _attempt_one(now):
        attempted += 1
    return attempted


def dead_letters(bank):
    return (
        WebhookDelivery.objects.filter(client__bank=bank, status=WebhookDelivery.Status.DEAD)
        .select_related("event", "client")
        .order_by("-created_at", "-pk")
    )


@transaction.atomic
def replay(bank, delivery_ids, user=None):
    """Dead letters of `bank` back to pending, due now; their clients' webhooks resume. Another
    bank's deliveries are not visible."""
    deliveries = list(dead_letters(bank).filter(pk__in=delivery_ids).select_for_update(of=("self",)))
    if len(deliveries) != len(set(delivery_ids)):
        raise NotVisible()
    client_ids = {d.client_id for d in deliveries}
    WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
    for client in ChannelClient.objects.filter(pk__in=client_ids):
        if client.webhooks_paused_at or client.webhook_failures:
            ChannelClient.objects.filter(pk=client.pk).update(webhooks_paused_at=None, webhook_failures=0)
        audit.record(
            AuditLog.Action.UPDATE,
            client,
            bank_id=bank.pk,
            actor=user,
            detail={"channel": "webhooks_replayed", "deliveries": sum(d.client_id == client.pk for d in deliveries)},
        )
    return len(deliveries)
