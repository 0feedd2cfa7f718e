"""The organisation-data import as business actions.

    batch = stage_file(bank, "branches", uploaded_file, actor)   # read + validate into staging
    apply_batch(batch, actor)                                     # write the valid rows, one transaction

Staging never touches business tables. A file-level problem (not a spreadsheet, encoding,
missing columns, too large, zip bomb, too many rows) gives a REJECTED batch with the reason
and no rows. Apply re-validates the staged rows against the database as it is at that moment,
inside the transaction and under a lock on the bank, so two imports of one bank never
interleave and what is written is exactly what is valid then."""

import hashlib
import os

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from ocrm import parameters
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.batch.runs import run_key
from ocrm.scoping import scope_of
from sysadmin.imports import readers
from sysadmin.imports.models import ImportBatch, ImportRow
from sysadmin.imports.specs import CREATE, UNCHANGED, UPDATE, get_spec
from sysadmin.org.models import Bank

PERMISSION = "sysadmin.run_imports"
ROW_WRITE_CHUNK = 2000


class ApplyError(Exception):
    """The batch could not be applied; nothing was written. str() says why."""


def check_actor(actor, bank):
    """Only a user with the import permission and bank-wide scope over `bank` may import
    for it (a superuser for any bank). actor=None is the system itself (the inbox job)."""
    if actor is None:
        return
    if not actor.is_active or not actor.has_perm(PERMISSION):
        raise PermissionDenied(_("You may not run organisation imports."))
    scope = scope_of(actor)
    if scope == "all":
        return
    if scope != "bank" or actor.bank_id != bank.pk:
        raise PermissionDenied(_("You may only import data of your own bank."))


# --- staging ---------------------------------------------------------------------------------


def stage_file(bank, kind, uploaded_file, actor, *, source=ImportBatch.Source.UPLOAD, job_run=None):
    """Read and validate `uploaded_file` (a Django File) into a new ImportBatch."""
    check_actor(actor, bank)
    spec = get_spec(kind)
    name = os.path.basename(uploaded_file.name or "upload")[:255] or "upload"
    max_bytes = settings.IMPORT_MAX_UPLOAD_BYTES
    batch = ImportBatch(bank=bank, kind=kind, source=source, original_name=name, uploaded_by=actor, job_run=job_run)
    declared_size = uploaded_file.size or 0
    content = b""
    if declared_size <= max_bytes:
        if hasattr(uploaded_file, "seek"):
            uploaded_file.seek(0)
        content = uploaded_file.read(max_bytes + 1)
    batch.file_size = max(declared_size, len(content))
    table, error = None, ""
    if batch.file_size > max_bytes:
        error = readers.too_large_message(batch.file_size, max_bytes)
    else:
        batch.sha256 = hashlib.sha256(content).hexdigest()
        try:
            table = readers.read_file(content, spec, max_rows=parameters.get("import.max_rows", bank))
        except readers.FileRejected as exc:
            error = str(exc)
    states = spec.validate(bank, table.rows, actor) if table is not None else []
    if content and batch.file_size <= max_bytes:
        batch.file.save(name, ContentFile(content), save=False)  # kept as evidence, rejected or not
    try:
        with transaction.atomic():
            if table is None:
                batch.status, batch.error = ImportBatch.Status.REJECTED, error
            else:
                batch.status = ImportBatch.Status.VALIDATED
                batch.columns = table.columns
                _set_row_counts(batch, states)
            batch.save()
            if states:
                ImportRow.objects.bulk_create([_row_model(batch, state) for state in states], batch_size=ROW_WRITE_CHUNK)
            audit.record(
                AuditLog.Action.IMPORT,
                batch,
                actor=actor,
                detail={
                    "step": "rejected" if table is None else "staged",
                    **_summary(batch),
                },
            )
    except Exception:
        if batch.file:
            batch.file.delete(save=False)
        raise
    return batch


def _row_model(batch, state):
    return ImportRow(
        batch=batch,
        row_number=state.row_number,
        key=state.key[:200],
        data=state.data,
        errors=state.errors,
        is_valid=state.valid,
        action=state.action,
        changes=state.changes,
    )


def _set_row_counts(batch, states):
    batch.total_rows = len(states)
    batch.valid_rows = sum(1 for s in states if s.valid)
    batch.invalid_rows = batch.total_rows - batch.valid_rows


def _summary(batch):
    return {
        "kind": batch.kind,
        "file": batch.original_name,
        "sha256": batch.sha256,
        "source": batch.source,
        "status": batch.status,
        "error": batch.error,
        "rows": batch.total_rows,
        "valid": batch.valid_rows,
        "invalid": batch.invalid_rows,
        "created": batch.created_count,
        "updated": batch.updated_count,
        "unchanged": batch.unchanged_count,
    }


# --- apply -----------------------------------------------------------------------------------


def apply_batch(batch, actor):
    """Write every valid row of `batch` in one transaction. Applying an applied batch again
    changes nothing; a failure rolls everything back and marks the batch FAILED."""
    try:
        # The safety net's field-level entries of every saved row name the actor too.
        with audit.acting_as(actor), transaction.atomic():
            locked = ImportBatch.objects.select_for_update().select_related("bank").get(pk=batch.pk)
            check_actor(actor, locked.bank)  # again, inside the transaction
            if locked.status == ImportBatch.Status.APPLIED:
                return locked
            if locked.status == ImportBatch.Status.REJECTED:
                raise _Refused(_("This file was rejected and cannot be applied: %(error)s") % {"error": locked.error})
            if not locked.valid_rows:
                raise _Refused(_("This file has no valid rows to apply."))
            _apply_locked(locked, actor)
            return locked
    except _Refused as exc:
        raise ApplyError(str(exc)) from None
    except PermissionDenied:
        raise
    except Exception as exc:
        message = _("Applying the file failed and nothing was written: %(error)s") % {"error": exc}
        ImportBatch.objects.filter(pk=batch.pk).exclude(status=ImportBatch.Status.APPLIED).update(
            status=ImportBatch.Status.FAILED, error=message[:5000]
        )
        raise ApplyError(message) from exc


class _Refused(Exception):
    """A precondition of apply does not hold: nothing was attempted, the status stays."""


APPLY_JOB = "org_import_apply"
DEFAULT_SYNC_APPLY_MAX_ROWS = 1000


def applies_in_background(batch):
    """Large files are applied by a worker: a web request must not hold a transaction (and
    the person) for minutes, and the web server's time-out would roll the apply back."""
    return batch.valid_rows > getattr(settings, "IMPORT_SYNC_APPLY_MAX_ROWS", DEFAULT_SYNC_APPLY_MAX_ROWS)


def apply_in_progress(batch):
    return (
        batch.status != ImportBatch.Status.APPLIED
        and batch.job_run_id is not None
        and batch.job_run.status in (JobRun.Status.QUEUED, JobRun.Status.RUNNING)
    )


def queue_apply(batch, actor):
    """Hand the apply of `batch` to a Celery worker (tasks.apply_import_batch); the batch
    page follows its job run. Queuing twice queues once."""
    from sysadmin.imports.tasks import apply_import_batch

    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update(of=("self",)).select_related("bank", "job_run").get(pk=batch.pk)
        check_actor(actor, locked.bank)
        if locked.status == ImportBatch.Status.APPLIED or apply_in_progress(locked):
            return locked
        if not locked.can_apply:
            raise ApplyError(
                _("This file has no valid rows to apply.")
                if locked.status != ImportBatch.Status.REJECTED
                else _("This file was rejected and cannot be applied: %(error)s") % {"error": locked.error}
            )
        run = JobRun.objects.create(
            job=APPLY_JOB,
            key=run_key(APPLY_JOB, locked.bank_id, extra=f"batch:{locked.pk}"),
            bank_id=locked.bank_id,
            status=JobRun.Status.QUEUED,
            triggered_by=actor,
        )
        locked.job_run = run
        locked.save(update_fields=["job_run"])
        actor_id = actor.pk if actor is not None else None
        transaction.on_commit(lambda: apply_import_batch.delay(locked.pk, actor_id, run.pk))
    return locked


def _apply_locked(batch, actor):
    # One import per bank at a time: its rows are checked against a database no other import changes.
    bank = Bank.objects.select_for_update().get(pk=batch.bank_id)
    spec = get_spec(batch.kind)
    stored = list(batch.rows.order_by("row_number"))
    states = spec.validate(bank, [(row.row_number, row.data) for row in stored], actor)
    spec.apply(bank, states, actor)
    for row, state in zip(stored, states, strict=True):
        row.key, row.errors, row.is_valid = state.key[:200], state.errors, state.valid
        row.action, row.changes = state.action, state.changes
    ImportRow.objects.bulk_update(stored, ["key", "errors", "is_valid", "action", "changes"], batch_size=ROW_WRITE_CHUNK)
    _set_row_counts(batch, states)
    batch.created_count = sum(1 for s in states if s.valid and s.action == CREATE)
    batch.updated_count = sum(1 for s in states if s.valid and s.action == UPDATE)
    batch.unchanged_count = sum(1 for s in states if s.valid and s.action == UNCHANGED)
    batch.status = ImportBatch.Status.APPLIED
    batch.error = ""
    batch.applied_at = timezone.now()
    batch.applied_by = actor
    batch.save()
    audit.record(AuditLog.Action.IMPORT, batch, actor=actor, detail={"step": "applied", **_summary(batch)})


# --- reading a batch back ------------------------------------------------------------------------


def planned_counts(batch):
    """{create: n, update: n, unchanged: n} of the valid rows as last validated."""
    counts = dict(batch.rows.filter(is_valid=True).values_list("action").annotate(n=Count("id")).values_list("action", "n"))
    return {action: counts.get(action, 0) for action in (CREATE, UPDATE, UNCHANGED)}


def error_rows(batch):
    """(row, column, value, reason) of every error, in row order."""
    for row in batch.rows.filter(is_valid=False).order_by("row_number").iterator(chunk_size=ROW_WRITE_CHUNK):
        for error in row.errors:
            yield row.row_number, error["field"], row.data.get(error["field"], ""), error["message"]


def error_report_rows(batch):
    yield [_("Row"), _("Column"), _("Value"), _("Reason")]
    if batch.error:
        yield ["", "", batch.original_name, batch.error]
    yield from error_rows(batch)


def template_xlsx(kind, spec=None):
    """An empty workbook for `kind` (or for `spec`, another reader of readers.read_file): the
    header row (English keys) on the first sheet and a second sheet describing every column."""
    import tempfile

    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    spec = spec or get_spec(kind)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = kind
    sheet.append([column.key for column in spec.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.number_format = "@"
    for index, column in enumerate(spec.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(column.key) + 4)
        # Codes such as 001 must stay text: format the cells people fill in as text.
        for row in range(2, 202):
            sheet.cell(row=row, column=index).number_format = "@"
    notes = workbook.create_sheet(_("columns"))
    notes.append([_("Column"), _("Chinese name"), _("Required"), _("Format")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in spec.columns:
        notes.append([column.key, column.label_zh, _("yes") if column.required else _("no"), str(column.help)])
    notes.append([])
    notes.append([_("Key"), str(spec.natural_key_help)])
    notes.append([_("Empty cells"), _("An empty cell leaves the current value unchanged; new rows get the default.")])
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle
