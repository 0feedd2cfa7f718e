"""The audit log's jobs: the retention clean-up (entries older than each bank's
audit.retention_days, in chunks) and the one-off masking of entries written before record()
masked personal data."""

import datetime

from django.db import connection, transaction

from ocrm import parameters, pii
from ocrm.audit.models import AuditLog
from ocrm.batch.jobs import audit_once, chunk_pause, chunk_size
from ocrm.batch.per_bank import LOCAL_TODAY, PerBankJob, run_per_bank

AUDIT_RETENTION = "audit_retention"


_PURGE_SQL = """
    WITH doomed AS (
        SELECT id FROM {table} WHERE {scope} AND at < %s LIMIT %s
    )
    DELETE FROM {table} AS entry USING doomed WHERE entry.id = doomed.id
"""


_COUNT_SQL = "SELECT count(*) FROM {table} WHERE {scope} AND at < %s"


def purge_audit_log(business_date=None, bank_id=None, *, run=None):
    """Delete audit entries older than audit.retention_days before the business date (default:
    each bank's local today): the bank's own value of the parameter, else the global one. With
    bank_id=None every bank in its own sub-run (entries without a bank use the global value).

    Entries from before midnight, in the bank's head-office time zone (UTC for entries without
    a bank), of (business date - retention days) go; a value of 0 keeps everything (the clean-up
    is off). Writes one audit entry per bank with the count."""
    return run_per_bank(RETENTION, business_date, bank_id, run=run)


def _purge_scope(run, scope):
    bank_id, count_name = scope.bank_id, f"deleted{scope.count_suffix}"
    days = parameters.get("audit.retention_days", bank_id)
    if days <= 0:
        run.add(**{count_name: 0})
        audit_once(run, bank_id, {"deleted": 0, "retention_days": days, "note": "retention off"})
        return
    cutoff = scope.day_start(scope.business_date - datetime.timedelta(days=days))
    table = connection.ops.quote_name(AuditLog._meta.db_table)
    scope_sql, scope_params = ("bank_id = %s", [bank_id]) if bank_id is not None else ("bank_id IS NULL", [])
    size = chunk_size()
    if scope.own_run:
        with connection.cursor() as cursor:
            cursor.execute(_COUNT_SQL.format(table=table, scope=scope_sql), [*scope_params, cutoff])
            run.set_total(cursor.fetchone()[0])
    run.add(**{count_name: 0})
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_PURGE_SQL.format(table=table, scope=scope_sql), [*scope_params, cutoff, size])
                deleted = cursor.rowcount
            if deleted:
                run.add(**{count_name: deleted})
                if scope.own_run:
                    run.advance(deleted)
        if deleted < size:
            break
        chunk_pause()
    audit_once(
        run,
        bank_id,
        {
            "deleted": run.run.counts.get(count_name, 0),
            "retention_days": days,
            "cutoff": cutoff,
        },
    )


RETENTION = PerBankJob(AUDIT_RETENTION, _purge_scope, LOCAL_TODAY, without_bank=True)


# --- masking what was written before the audit log masked everything ----------------------------------
# ocrm.audit.services.record() masks personal data in every new entry (ocrm.pii.scrub). Entries
# written before that (an export's "q=<identity number>", an address's street) are masked by
# this job, started once by hand from the jobs page; a rerun finds nothing left to change.

AUDIT_SCRUB = "audit_scrub"


def scrub_audit_log(business_date=None, bank_id=None, *, run=None):
    """Mask the personal data of existing audit entries, bank by bank, in chunks."""
    return run_per_bank(SCRUB, business_date, bank_id, run=run)


def scrubbed(entry):
    """The entry's (object_repr, changes, detail) as record() would write them now."""
    return pii.scrub_text(entry.object_repr), pii.scrub(entry.changes or {}), pii.scrub(entry.detail or {})


def _scrub_scope(run, scope):
    bank_id, count_name = scope.bank_id, f"masked{scope.count_suffix}"
    entries = AuditLog.objects.filter(bank_id=bank_id) if bank_id is not None else AuditLog.objects.filter(bank_id__isnull=True)
    run.add(**{count_name: 0})
    size, last_id = chunk_size(), 0
    while True:
        chunk = list(entries.filter(pk__gt=last_id).order_by("pk").only("pk", "object_repr", "changes", "detail")[:size])
        if not chunk:
            break
        last_id = chunk[-1].pk
        changed = []
        for entry in chunk:
            masked = scrubbed(entry)
            if masked != (entry.object_repr, entry.changes or {}, entry.detail or {}):
                entry.object_repr, entry.changes, entry.detail = masked
                changed.append(entry)
        with transaction.atomic():
            AuditLog.objects.bulk_update(changed, ["object_repr", "changes", "detail"])
        run.add(**{count_name: len(changed)})
        chunk_pause()
    audit_once(run, bank_id, {"masked": run.run.counts.get(count_name, 0)})


SCRUB = PerBankJob(AUDIT_SCRUB, _scrub_scope, LOCAL_TODAY, without_bank=True)
