"""Idempotency-Key on POST: the first answer is kept 24 h and replayed for the same key and body;
the same key with another body is refused (422).

The first call of a key costs one INSERT … ON CONFLICT DO NOTHING RETURNING and one UPDATE in one
transaction: the inserted row is this transaction's until it commits, so a concurrent retry's INSERT
waits on the unique index, finds the row, locks it and replays the stored answer (exactly one effect)."""

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from rest_framework.response import Response

from workbench.channelapi import audit, signing
from workbench.channelapi.models import IdempotencyRecord

KEEP_FOR = timedelta(hours=24)
HEADER = "Idempotency-Key"


def _claim(client, key, endpoint, digest, now, durable=True):
    """The new record's id, or None when (client, key) has a record already. durable=False: this
    transaction commits without waiting for the WAL flush (audit.RELAX, in the same statement)."""
    table = IdempotencyRecord._meta.db_table
    source = "" if durable else f" FROM {audit.RELAX}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (client_id, key, endpoint, body_digest, created_at) "
            f"SELECT %s::bigint, %s::text, %s::text, %s::text, %s::timestamptz{source} "
            "ON CONFLICT (client_id, key) DO NOTHING RETURNING id",
            [client.pk, key, endpoint, digest, now],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def run_once(client, key, endpoint, body, action, durable=True):
    """Run `action()` (returning a DRF Response) at most once for (client, key). durable=False: the
    action only reads, and the record may commit asynchronously (audit.RELAX)."""
    digest = signing.body_digest(body)
    now = timezone.now()
    with transaction.atomic():
        record_id = _claim(client, key, endpoint, digest, now, durable)
        if record_id is None:
            record = IdempotencyRecord.objects.select_for_update().get(client=client, key=key)
            if record.created_at < now - KEEP_FOR:
                # Older than the window: the key may be used again, as a new request.
                record.delete()
                record_id = _claim(client, key, endpoint, digest, now)
            elif record.body_digest != digest or record.endpoint != endpoint:
                return Response({"detail": "Idempotency-Key reused with a different request."}, status=422)
            elif record.status_code is not None:
                response = Response(record.response_body, status=record.status_code)
                response["Idempotent-Replayed"] = "true"
                return response
            else:  # cannot happen: a record is completed in the transaction that made it
                record_id = record.pk
        response = action()
        if response.status_code >= 500:
            transaction.set_rollback(True)
            return response
        IdempotencyRecord.objects.filter(pk=record_id).update(status_code=response.status_code, response_body=response.data)
        return response
