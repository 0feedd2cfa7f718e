"""Celery tasks of the organisation-data import: the inbox job, and the background apply
of large uploaded files. Thin: both call the services inside a job run (ocrm.batch)."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.tasks import BatchTask
from sysadmin.imports import inbox
from sysadmin.imports.inbox import process_inbox
from sysadmin.imports.models import ImportBatch
from sysadmin.imports.services import APPLY_JOB, ApplyError, apply_batch


@shared_task(bind=True, name="sysadmin.imports.tasks.import_inbox")
def import_inbox(self):
    """Stage and apply every file waiting in settings.IMPORT_INBOX_DIR (see inbox.py)."""
    return process_inbox(task_id=self.request.id or "")


@shared_task(bind=True, base=BatchTask, name="sysadmin.imports.tasks.apply_import_batch")
def apply_import_batch(self, batch_id, actor_id, run_id):
    """Apply one staged batch for the person who pressed Apply (services.queue_apply)."""
    batch = ImportBatch.objects.select_related("bank").get(pk=batch_id)
    actor = get_user_model().objects.get(pk=actor_id) if actor_id else None
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
