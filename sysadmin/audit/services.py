"""The audit-log retention job: deletes entries older than each bank's audit.retention_days, in chunks."""

import datetime

from django.db import connection, transaction

from ocrm import parameters
from ocrm.audit.models import AuditLog
from ocrm.batch.jobs import (
    _audit_once,
    _check_business_date,
    _each_bank,
    _run_or,
    _utc_midnight,
    chunk_pause,
    chunk_size,
    parse_business_date,
)

AUDIT_RETENTION = "audit_retention"


_PURGE_SQL = """
    WITH doomed AS (
        SELECT id FROM {table} WHERE {scope} AND at < %s LIMIT %s
    )
    DELETE FROM {table} AS entry USING doomed WHERE entry.id = doomed.id
"""


_COUNT_SQL = "SELECT count(*) FROM {table} WHERE {scope} AND at < %s"


def purge_audit_log(business_date, bank_id=None, *, run=None):
    """Delete audit entries older than audit.retention_days before the business date:
    the bank's own value of the parameter, else the global one. With bank_id=None every
    bank in its own sub-run (entries without a bank use the global value).

    Entries from before midnight UTC of (business date - retention days) go; a value of 0
    keeps everything (the clean-up is off). Writes one audit entry per bank with the count."""
    business_date = parse_business_date(business_date)
    _check_business_date(business_date)
    with _run_or(run, AUDIT_RETENTION, bank_id, business_date) as run:
        if run.already_done:
            return run.summary()
        if bank_id is None:
            _each_bank(
                run,
                AUDIT_RETENTION,
                business_date,
                lambda handle, bank, suffix, track: _purge_scope(handle, business_date, bank, suffix, track),
            )
        else:
            _purge_scope(run, business_date, bank_id, "", True)
    return run.summary()  # after the block: a run of our own is marked finished by then


def _purge_scope(run, business_date, bank_id, suffix, track_progress):
    count_name = f"deleted{suffix}"
    days = parameters.get("audit.retention_days", bank_id)
    if days <= 0:
        run.add(**{count_name: 0})
        _audit_once(run, bank_id, {"deleted": 0, "retention_days": days, "note": "retention off"})
        return
    cutoff = _utc_midnight(business_date - datetime.timedelta(days=days))
    table = connection.ops.quote_name(AuditLog._meta.db_table)
    scope_sql, scope_params = ("bank_id = %s", [bank_id]) if bank_id is not None else ("bank_id IS NULL", [])
    size = chunk_size()
    if track_progress:
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
                if track_progress:
                    run.advance(deleted)
        if deleted < size:
            break
        chunk_pause()
    _audit_once(
        run,
        bank_id,
        {
            "deleted": run.run.counts.get(count_name, 0),
            "retention_days": days,
            "cutoff": cutoff,
        },
    )
