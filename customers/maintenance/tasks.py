"""Celery tasks of the batch area: thin wrappers around its services."""

from celery import shared_task
from django.contrib.auth import get_user_model

from customers.maintenance import services as batch_maintenance
from customers.maintenance.models import MaintenanceBatch
from ocrm.batch.tasks import BatchTask
from ocrm.imports.staging import RunProgress


@shared_task(bind=True, base=BatchTask, name="customers.tasks_batch.apply_maintenance_batch")
def apply_maintenance_batch(self, batch_id, actor_id, run_id):
    """Apply one checked maintenance file for the person who pressed Apply
    (batch_maintenance.queue_apply): one transaction, all rows or none."""
    batch = MaintenanceBatch.objects.get(pk=batch_id)
    actor = get_user_model().objects.get(pk=actor_id)
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
