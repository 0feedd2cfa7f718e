"""Events for the bank's channels. Other areas call publish(); delivery to subscribed clients
comes from the stored events."""

from workbench.channelapi.models import WebhookEvent


def publish(bank_id, event_type, payload):
    """Record `event_type` with its JSON payload for the channels of bank `bank_id`."""
    return WebhookEvent.objects.create(bank_id=bank_id, event_type=event_type, payload=payload)
