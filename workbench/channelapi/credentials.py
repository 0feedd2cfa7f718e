"""Issuing, rotating and revoking a channel client's credentials. Secrets are shown once."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from workbench.channelapi.models import ChannelClient

SECRET_LIFETIME = timedelta(days=365)
ROTATION_OVERLAP = timedelta(hours=24)


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret():
    return "cs_" + secrets.token_urlsafe(32)


@transaction.atomic
def register(bank, name, kind, *, requests_per_minute=600, webhook_url="", lifetime=SECRET_LIFETIME):
    """A new client and its secret (returned once, never stored in clear)."""
    secret = _new_secret()
    client = ChannelClient.objects.create(
        bank=bank,
        name=name,
        kind=kind,
        key_id="ck_" + secrets.token_hex(12),
        secret_digest=digest(secret),
        secret_expires_at=timezone.now() + lifetime,
        requests_per_minute=requests_per_minute,
        webhook_url=webhook_url,
        webhook_secret=secrets.token_hex(32),
    )
    audit.record(AuditLog.Action.CREATE, client, bank_id=bank.pk, detail={"channel": "register"})
    return client, secret


@transaction.atomic
def rotate(client, *, overlap=ROTATION_OVERLAP, lifetime=SECRET_LIFETIME):
    """A new secret; the old one keeps working for `overlap` so the channel can switch over."""
    client = ChannelClient.objects.select_for_update().get(pk=client.pk)
    secret = _new_secret()
    now = timezone.now()
    client.previous_secret_digest = client.secret_digest
    client.previous_valid_until = min(now + overlap, client.secret_expires_at)
    client.secret_digest = digest(secret)
    client.secret_expires_at = now + lifetime
    client.save()
    audit.record(AuditLog.Action.UPDATE, client, bank_id=client.bank_id, detail={"channel": "rotate"})
    return client, secret


@transaction.atomic
def revoke(client):
    client = ChannelClient.objects.select_for_update().get(pk=client.pk)
    client.revoked_at = timezone.now()
    client.save(update_fields=["revoked_at"])
    audit.record(AuditLog.Action.UPDATE, client, bank_id=client.bank_id, detail={"channel": "revoke"})
    return client
