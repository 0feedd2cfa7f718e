"""Events for the bank's channels. Other areas call publish(); delivery.py sends each event to the
bank's subscribed clients (a Celery task, right after the commit and every minute)."""

from django.db import transaction

from workbench.channelapi import delivery, tasks
from workbench.channelapi.models import WebhookEvent


def publish(bank_id, event_type, payload):
    """Record `event_type` with its JSON payload for the channels of bank `bank_id`."""
    event = WebhookEvent.objects.create(bank_id=bank_id, event_type=event_type, payload=payload)
    delivery.fan_out(event)
    # robust: a broker that is down must not fail the caller; the beat's run every minute delivers it.
    transaction.on_commit(_deliver_soon, robust=True)
    return event


def _deliver_soon():
    tasks.deliver_webhooks.delay()
