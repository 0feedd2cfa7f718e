"""The organisation-data import as business actions, on the kernel's upload pipeline (ocrm.imports).

    batch = stage_file(bank, "branches", uploaded_file, actor)   # read + validate into staging
    apply_batch(batch, actor)                                     # write the valid rows, one transaction

Staging never touches business tables (ocrm.imports.staging.stage_file: one set of limits and
checks for every upload). Apply re-validates the staged rows against the database as it is at
that moment, inside the transaction and under a lock on the bank, so two imports of one bank
never interleave and what is written is exactly what is valid then."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from ocrm.audit import services as audit
from ocrm.imports import staging
from ocrm.imports.specs import CREATE, UNCHANGED, UPDATE
from ocrm.imports.staging import ApplyError, error_report_rows, error_rows
from ocrm.imports.workbook import template_xlsx
from ocrm.scoping import scope_of
from sysadmin.imports.models import ImportBatch
from sysadmin.imports.specs import get_spec
from sysadmin.org.models import Bank

__all__ = [
    "ApplyError",
    "apply_batch",
    "error_report_rows",
    "error_rows",
    "planned_counts",
    "queue_apply",
    "stage_file",
    "template_xlsx_of",
]

PERMISSION = "sysadmin.run_imports"
APPLY_JOB = "org_import_apply"
APPLY_TASK = "sysadmin.imports.tasks.apply_import_batch"  # its pinned name (tasks.py imports this module)
DEFAULT_SYNC_APPLY_MAX_ROWS = 1000


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


def stage_file(bank, kind, uploaded_file, actor, *, source=ImportBatch.Source.UPLOAD, job_run=None):
    """Read and validate `uploaded_file` (a Django File) into a new ImportBatch."""
    check_actor(actor, bank)
    batch = ImportBatch(bank=bank, kind=kind, source=source, uploaded_by=actor, job_run=job_run)
    return staging.stage_file(batch, uploaded_file, get_spec(kind), actor)


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
                raise _Refused(staging.rejected_message(locked))
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


def _apply_locked(batch, actor):
    # One import per bank at a time: its rows are checked against a database no other import changes.
    batch.bank = Bank.objects.select_for_update().get(pk=batch.bank_id)
    spec = get_spec(batch.kind)
    states = staging.recheck(batch, spec, actor)
    spec.apply(batch.bank, states, actor)
    batch.created_count = sum(1 for s in states if s.valid and s.action == CREATE)
    batch.updated_count = sum(1 for s in states if s.valid and s.action == UPDATE)
    batch.unchanged_count = sum(1 for s in states if s.valid and s.action == UNCHANGED)
    staging.mark_applied(batch, actor)


def applies_in_background(batch):
    """Large files are applied by a worker: a web request must not hold a transaction (and
    the person) for minutes, and the web server's time-out would roll the apply back."""
    return batch.valid_rows > getattr(settings, "IMPORT_SYNC_APPLY_MAX_ROWS", DEFAULT_SYNC_APPLY_MAX_ROWS)


def queue_apply(batch, actor):
    """Hand the apply of `batch` to a Celery worker (APPLY_TASK); the batch
    page follows its job run. Queuing twice queues once."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update(of=("self",)).select_related("bank", "job_run").get(pk=batch.pk)
        check_actor(actor, locked.bank)
        if locked.status == ImportBatch.Status.APPLIED or locked.applying:
            return locked
        if not locked.can_apply:
            raise ApplyError(
                _("This file has no valid rows to apply.")
                if locked.status != ImportBatch.Status.REJECTED
                else staging.rejected_message(locked)
            )
        locked.job_run = staging.queue_apply_run(locked, actor, APPLY_JOB, APPLY_TASK)
        locked.save(update_fields=["job_run"])
    return locked


# --- reading a batch back ------------------------------------------------------------------------


def planned_counts(batch):
    """{create: n, update: n, unchanged: n} of the valid rows as last validated."""
    counts = dict(batch.rows.filter(is_valid=True).values_list("action").annotate(n=Count("id")).values_list("action", "n"))
    return {action: counts.get(action, 0) for action in (CREATE, UPDATE, UNCHANGED)}


def template_xlsx_of(kind):
    """The empty workbook of `kind`: (file, size)."""
    return template_xlsx(get_spec(kind), kind)
