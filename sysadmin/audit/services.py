"""The audit-log retention job: deletes entries older than each bank's audit.retention_days, in chunks."""

import datetime

from django.db import connection, transaction

from ocrm import parameters
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
