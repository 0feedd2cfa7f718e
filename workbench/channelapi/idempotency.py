"""Idempotency-Key on POST: the first answer is kept 24 h and replayed for the same key and body;
the same key with another body is refused (422). Concurrent retries queue on the record's row lock."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from rest_framework.response import Response

from workbench.channelapi import signing
from workbench.channelapi.models import IdempotencyRecord

KEEP_FOR = timedelta(hours=24)
HEADER = "Idempotency-Key"


def run_once(client, key, endpoint, body, action):
    """Run `action()` (returning a DRF Response) at most once for (client, key)."""
    digest = signing.body_digest(body)
    with transaction.atomic():
        # Old records are dropped so that a key may be reused after the 24 h window.
        IdempotencyRecord.objects.filter(client=client, key=key, created_at__lt=timezone.now() - KEEP_FOR).delete()
        IdempotencyRecord.objects.bulk_create(
            [IdempotencyRecord(client=client, key=key, endpoint=endpoint, body_digest=digest)],
            ignore_conflicts=True,
        )
        record = IdempotencyRecord.objects.select_for_update().get(client=client, key=key)
        if record.body_digest != digest or record.endpoint != endpoint:
            return Response({"detail": "Idempotency-Key reused with a different request."}, status=422)
        if record.status_code is not None:
            response = Response(record.response_body, status=record.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        response = action()
        if response.status_code >= 500:
            transaction.set_rollback(True)
            return response
        record.status_code = response.status_code
        record.response_body = response.data
        record.save(update_fields=["status_code", "response_body"])
        return response
