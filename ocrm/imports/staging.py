"""The pipeline's business actions: stage a file into a batch, check its rows again, mark it
applied, queue the apply on a worker, and say what went wrong.

    batch = stage_file(Batch(bank=bank, uploaded_by=actor), uploaded_file, spec, actor)
    states = recheck(batch, spec, actor)      # inside the area's apply transaction
    ...the area writes the valid rows...
    mark_applied(batch, actor)

Staging never touches business tables. A file-level problem (too large, not a spreadsheet, an
unknown encoding, unknown/missing/repeated columns, a zip bomb, no data rows, too many rows, or
the spec's own check_columns()) gives a REJECTED batch with the reason and no rows; the file is
kept as evidence unless it is too large. Every staging and every apply is audited."""

import hashlib
import os

from celery import signature
from django.core.files.base import ContentFile
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.batch.runs import run_key
from ocrm.imports import readers

ROW_WRITE_CHUNK = 2000


class ApplyError(Exception):
    """The batch was not applied; nothing was written. str() says why."""


def receive(uploaded_file, bank):
    """(name, size, content) of an uploaded Django File; content is b"" when the file is larger
    than the bank's upload limit (it is never read into memory then)."""
    name = os.path.basename(uploaded_file.name or "upload")[:255] or "upload"
    max_bytes = readers.upload_limit(bank)
    declared = uploaded_file.size or 0
    content = b""
    if declared <= max_bytes:
        if hasattr(uploaded_file, "seek"):
            uploaded_file.seek(0)
        content = uploaded_file.read(max_bytes + 1)
    return name, max(declared, len(content)), content


def stage_file(batch, uploaded_file, spec, actor):
    """Read and check `uploaded_file` (a Django File) into `batch`, an unsaved StagedBatch whose
    bank (and own columns) are set, and its rows. Returns the saved batch."""
    bank = batch.bank
    name, size, content = receive(uploaded_file, bank)
    max_bytes = readers.upload_limit(bank)
    batch.original_name, batch.file_size = name, size
    table, error = None, ""
    if size > max_bytes:
        error = readers.too_large_message(size, max_bytes)
    else:
        batch.sha256 = hashlib.sha256(content).hexdigest()
        try:
            table = readers.read_table(content, spec, max_rows=readers.row_limit(bank), max_bytes=max_bytes)
            spec.check_columns(table.columns)
        except readers.FileRejected as exc:
            table, error = None, str(exc)
    states = spec.validate(bank, table.rows, actor) if table is not None else []
    if content and size <= max_bytes:
        batch.file.save(name, ContentFile(content), save=False)  # kept as evidence, rejected or not
    row_model = batch.rows.model
    try:
        with transaction.atomic():
            if table is None:
                batch.status, batch.error = batch.Status.REJECTED, error
            else:
                batch.status, batch.columns = batch.Status.VALIDATED, table.columns
                batch.count_rows(states)
            batch.save()
            row_model.objects.bulk_create([row_model.from_state(batch, state) for state in states], batch_size=ROW_WRITE_CHUNK)
            audit.record(
                AuditLog.Action.IMPORT,
                batch,
                actor=actor,
                detail={"step": "rejected" if table is None else "staged", **batch.audit_summary()},
            )
    except Exception:
        if batch.file:
            batch.file.delete(save=False)
        raise
    return batch


def recheck(batch, spec, actor):
    """Check every staged row of `batch` again against the database as it is now (inside the
    apply's transaction), store the new errors and plans, and count them. Returns the states,
    in row order."""
    stored = list(batch.rows.order_by("row_number"))
    states = spec.validate(batch.bank, [(row.row_number, row.data) for row in stored], actor)
    for row, state in zip(stored, states, strict=True):
        row.take_state(state)
    fields = [*stored[0].checked_fields, *stored[0].state_fields(states[0])] if stored else []
    batch.rows.model.objects.bulk_update(stored, fields, batch_size=ROW_WRITE_CHUNK)
    batch.count_rows(states)
    return states


def mark_applied(batch, actor):
    batch.status, batch.error = batch.Status.APPLIED, ""
    batch.applied_at, batch.applied_by = timezone.now(), actor
    batch.save()
    audit.record(AuditLog.Action.IMPORT, batch, actor=actor, detail={"step": "applied", **batch.audit_summary()})


def rejected_message(batch):
    return _("This file was rejected and cannot be applied: %(error)s") % {"error": batch.error}


# --- reading a batch back ------------------------------------------------------------------------


def error_rows(batch):
    """(row, column, value, reason) of every error of a staged batch, in row order."""
    for row in batch.rows.filter(is_valid=False).order_by("row_number").iterator(chunk_size=ROW_WRITE_CHUNK):
        for error in row.errors:
            yield row.row_number, error["field"], row.data.get(error["field"], ""), error["message"]


def error_report(file_name, file_error, errors, column_title=None):
    """The rows of a downloadable error report: the header, the file's own error (if any), then
    (row, column, value, reason) of every rejected cell."""
    yield [_("Row"), column_title or _("Column"), _("Value"), _("Reason")]
    if file_error:
        yield ["", "", file_name, file_error]
    for error in errors:
        yield list(error)


def error_report_rows(batch):
    return error_report(batch.original_name, batch.error, error_rows(batch))


# --- applying on a worker --------------------------------------------------------------------------


def apply_run_key(job, batch):
    return run_key(job, batch.bank_id, extra=f"batch:{batch.pk}")


def latest_apply_run(job, batch):
    """The newest job run of `job` that applies (or applied, or failed to apply) `batch`, or None."""
    return JobRun.objects.filter(job=job, key=apply_run_key(job, batch)).order_by("-created_at", "-id").first()


def queue_apply_run(batch, actor, job, task_name):
    """Create the queued JobRun of `job` for `batch` and send the task named `task_name` (batch id,
    actor id, run id) once the caller's transaction commits. Returns the run. The task goes by its
    pinned name: a services module need not import the tasks module that imports it."""
    run = JobRun.objects.create(
        job=job, key=apply_run_key(job, batch), bank_id=batch.bank_id, status=JobRun.Status.QUEUED, triggered_by=actor
    )
    actor_id = actor.pk if actor is not None else None
    transaction.on_commit(lambda: signature(task_name, args=(batch.pk, actor_id, run.pk)).delay())
    return run


class RunProgress:
    """Writes a JobRun's progress on a database connection of its own: an apply's one
    transaction would hide it from the batch page until the very end."""

    def __init__(self, run_id):
        self.run_id = run_id
        self.connection = connections.create_connection("default")

    def __call__(self, done, total):
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {JobRun._meta.db_table} SET progress_done = %s, progress_total = %s WHERE id = %s",
                [done, total, self.run_id],
            )

    def close(self):
        self.connection.close()
