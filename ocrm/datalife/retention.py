"""Retention clean-ups: rows and stored files past their bank's keep-days parameter go.

Each area registers what it keeps only for a while (`register(Purge(...))`) - the kernel
itself its notifications and the staged rows of every upload (ocrm.imports), customers its
feed errors and feed files. One per-bank job (`PURGE`, ocrm.batch.per_bank) runs them all:
each bank in its own run, its cut-off the midnight in the bank's head-office zone of
(business date - keep days), 0 keeping everything. Rows go in set-based chunks (one DELETE
of at most chunk_size rows each, committed with the run's counts); for a stored file the file
is deleted and its field cleared, the row (the history: who, when, counts, SHA-256) stays.

Background export files have their own job (ocrm.lists.background.purge_export_files,
export.keep_days), and the audit log is dropped by whole monthly partitions
(ocrm.datalife.partitions.drop_before, run by the partition job).
"""

import dataclasses
import datetime

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ocrm import parameters
from ocrm.batch import jobs as batch_jobs
from ocrm.batch.jobs import audit_once, chunk_pause, chunk_size
from ocrm.batch.per_bank import LOCAL_TODAY, PerBankJob

DATA_PURGE = "data_purge"


@dataclasses.dataclass(frozen=True)
class Purge:
    name: str  # the count the jobs page shows, e.g. "notifications"
    label: str  # how the jobs page names that count
    model: type
    bank_field: str  # the lookup path to the bank id: "bank_id", "batch__bank_id"
    time_field: str  # the lookup path to the moment the row's age counts from
    parameter: str  # days to keep (an int parameter; 0 keeps everything)
    condition: Q = Q()  # which rows may go besides their age (e.g. a batch no longer awaiting anything)
    file_field: str = ""  # set: the stored file goes (and the field is cleared), not the row

    def old(self, bank_id, cutoff):
        bank = {self.bank_field: bank_id} if bank_id is not None else {f"{self.bank_field}__isnull": True}
        rows = self.model._base_manager.filter(self.condition, **bank, **{f"{self.time_field}__lt": cutoff})
        if self.file_field:
            rows = rows.exclude(**{self.file_field: ""})
        return rows


PURGES = {}  # name -> Purge, filled by register()


def register(purge):
    """Add what an area keeps only for a while (from its AppConfig.ready())."""
    PURGES[purge.name] = purge
    batch_jobs.COUNT_LABELS[purge.name] = purge.label


def _chunk_sql(rows, size):
    """The DELETE of at most `size` of `rows`: one statement, by primary key."""
    table = connection.ops.quote_name(rows.model._meta.db_table)
    pk = connection.ops.quote_name(rows.model._meta.pk.column)
    select, params = rows.order_by().values_list("pk")[:size].query.sql_with_params()
    return f"DELETE FROM {table} WHERE {pk} IN ({select})", params


def purge_rows(purge, bank_id, cutoff, on_chunk=None):
    """Delete `purge`'s rows of `bank_id` older than `cutoff` in chunks; the number deleted."""
    size, total = chunk_size(), 0
    while True:
        with transaction.atomic():
            sql, params = _chunk_sql(purge.old(bank_id, cutoff), size)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                deleted = cursor.rowcount
            total += deleted
            if on_chunk and deleted:
                on_chunk(deleted)
        if deleted < size:
            return total
        chunk_pause()


def purge_files(purge, bank_id, cutoff, on_chunk=None):
    """Delete the stored files of `purge`'s rows older than `cutoff` and clear their field. The
    field is cleared first (committed), then the files go: a killed worker leaves a file no row
    names (the backup's manifest reports it), never a row naming a missing file."""
    size, total = chunk_size(), 0
    while True:
        with transaction.atomic():
            found = list(purge.old(bank_id, cutoff).order_by("pk").values_list("pk", purge.file_field)[:size])
            purge.model._base_manager.filter(pk__in=[pk for pk, _name in found]).update(**{purge.file_field: ""})
            if on_chunk and found:
                on_chunk(len(found))
        for _pk, name in found:
            default_storage.delete(name)
        total += len(found)
        if len(found) < size:
            return total
        chunk_pause()


def _purge_scope(run, scope):
    bank_id, suffix = scope.bank_id, scope.count_suffix
    detail = {}
    for purge in PURGES.values():
        days = parameters.get(purge.parameter, bank_id)
        count = f"{purge.name}{suffix}"
        run.add(**{count: 0})
        if days <= 0:
            detail[purge.name] = {"deleted": 0, "keep_days": days}
            continue
        cutoff = scope.day_start(scope.business_date - datetime.timedelta(days=days))
        work = purge_files if purge.file_field else purge_rows
        done = work(purge, bank_id, cutoff, on_chunk=lambda n, count=count: run.add(**{count: n}))
        detail[purge.name] = {"deleted": done, "keep_days": days, "cutoff": cutoff}
    audit_once(run, bank_id, detail)


PURGE = PerBankJob(DATA_PURGE, _purge_scope, LOCAL_TODAY, without_bank=True)
LABEL = _("Data clean-up (retention)")
