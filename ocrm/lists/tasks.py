"""Celery tasks of the kernel: thin wrappers around ocrm.lists.background, run inside
ocrm.batch.runs.job_run (so operators see them on the jobs page)."""

from celery import shared_task

from ocrm.batch.runs import job_run
from ocrm.lists import background as export_jobs

RETRY_HELD_RUN_SECONDS = 60


@shared_task(bind=True, name="ocrm.tasks.run_export")
def run_export(self, export_id):
    from ocrm.lists.models import ExportFile

    bank_id = ExportFile.objects.filter(pk=export_id).values_list("bank_id", flat=True).first()
    with job_run(export_jobs.JOB_NAME, bank_id=bank_id, key_extra=str(export_id), task_id=self.request.id or "") as run:
        if run.running_elsewhere:
            raise self.retry(countdown=RETRY_HELD_RUN_SECONDS, max_retries=None)
        if not run.already_done:
            export = export_jobs.run_export(export_id, run=run)
            run.count(**{export.status: 1})
    return run.summary()


@shared_task(bind=True, name="ocrm.tasks.purge_export_files")
def purge_export_files(self, business_date=None):
    from ocrm.batch import jobs

    business_date = jobs.parse_business_date(business_date)
    with job_run(export_jobs.PURGE_JOB_NAME, business_date=business_date, task_id=self.request.id or "") as run:
        if run.running_elsewhere:
            raise self.retry(countdown=RETRY_HELD_RUN_SECONDS, max_retries=None)
        if not run.already_done:
            export_jobs.purge_export_files(run=run)
    return run.summary()
