"""Celery tasks of the batch area: thin wrappers around its services."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from customers.maintenance import services as batch_maintenance
from customers.maintenance.models import MaintenanceBatch
from ocrm.batch import actors, jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.tasks import BatchTask
from ocrm.imports.staging import RunProgress, apply_run_key


@shared_task(bind=True, base=BatchTask, name="customers.tasks_batch.apply_maintenance_batch")
def apply_maintenance_batch(self, batch_id, actor_id, run_id):
    """Apply one checked maintenance file for the person who pressed Apply
    (batch_maintenance.queue_apply): one transaction, all rows or none. The message names the
    person and the batch; both are re-checked against the run their Apply queued (ocrm.batch.actors)."""
    batch = MaintenanceBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return {"refused": "no such batch"}
    try:
        actor = actors.checked_actor(
            self,
            job=batch_maintenance.APPLY_JOB,
            run_id=run_id,
            key=apply_run_key(batch_maintenance.APPLY_JOB, batch),
            bank_id=batch.bank_id,
            actor_id=actor_id,
            permission=batch_maintenance.PERMISSION,
            obj=batch,
        )
    except actors.Refused as exc:
        return {"refused": str(exc)}
    with self.job_run(batch_maintenance.APPLY_JOB, bank_id=batch.bank_id, run_id=run_id, triggered_by=actor) as run:
        if run.already_done:
            return run.summary()
        progress = RunProgress(run.id)
        try:
            batch = batch_maintenance.apply_batch(batch, actor, progress=progress)
        except batch_maintenance.ApplyError as exc:
            run.add_error(str(exc))
            raise
        finally:
            progress.close()
        run.count(changed=batch.changed_rows, unchanged=batch.unchanged_rows, invalid=batch.invalid_rows)
        return {"batch": batch.pk, "status": batch.status}


def register_jobs():
    # Applied when a person presses Apply, so the jobs page only names it.
    jobs.register(
        JobSpec(batch_maintenance.APPLY_JOB, _("Batch maintenance (uploaded file)"), apply_maintenance_batch.name),
        readable_errors=[batch_maintenance.ApplyError],
    )
