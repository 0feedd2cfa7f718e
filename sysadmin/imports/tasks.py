"""Celery tasks of the organisation-data import: the inbox job, and the background apply
of large uploaded files. Thin: both call the services inside a job run (ocrm.batch)."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from ocrm.batch import actors, jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.tasks import BatchTask
from ocrm.imports.staging import apply_run_key
from sysadmin.imports import inbox
from sysadmin.imports.inbox import process_inbox
from sysadmin.imports.models import ImportBatch
from sysadmin.imports.services import APPLY_JOB, PERMISSION, ApplyError, apply_batch


@shared_task(bind=True, name="sysadmin.imports.tasks.import_inbox")
def import_inbox(self):
    """Stage and apply every file waiting in settings.IMPORT_INBOX_DIR (see inbox.py)."""
    return process_inbox(task_id=self.request.id or "")


@shared_task(bind=True, base=BatchTask, name="sysadmin.imports.tasks.apply_import_batch")
def apply_import_batch(self, batch_id, actor_id, run_id):
    """Apply one staged batch for the person who pressed Apply (services.queue_apply). The message
    names the person and the batch; both are re-checked against the run their Apply queued
    (ocrm.batch.actors)."""
    batch = ImportBatch.objects.select_related("bank").filter(pk=batch_id).first()
    if batch is None:
        return {"refused": "no such batch"}
    try:
        actor = actors.checked_actor(
            self,
            job=APPLY_JOB,
            run_id=run_id,
            key=apply_run_key(APPLY_JOB, batch),
            bank_id=batch.bank_id,
            actor_id=actor_id,
            permission=PERMISSION,
            obj=batch,
        )
    except actors.Refused as exc:
        return {"refused": str(exc)}
    # A duplicate delivery while a live worker applies the batch retries later (BatchTask), in case that worker dies.
    with self.job_run(APPLY_JOB, bank_id=batch.bank_id, run_id=run_id, triggered_by=actor) as run:
        if run.already_done:
            return run.summary()
        run.set_total(batch.valid_rows)
        try:
            batch = apply_batch(batch, actor)
        except ApplyError as exc:
            run.add_error(str(exc))
            raise
        run.count(
            created=batch.created_count, updated=batch.updated_count, unchanged=batch.unchanged_count, invalid=batch.invalid_rows
        )
        return {"batch": batch.pk, "status": batch.status}


def register_jobs():
    jobs.register(JobSpec(inbox.JOB, _("Organisation inbox import"), import_inbox.name))
    jobs.register(
        JobSpec(APPLY_JOB, _("Organisation import (uploaded file)"), apply_import_batch.name), readable_errors=[ApplyError]
    )
