"""Celery tasks of the kernel's lists: thin wrappers around ocrm.lists.background, each in a
run of its own (ocrm.batch.tasks.BatchTask), so operators see them on the jobs page."""

from celery import shared_task

from ocrm.batch.jobs import parse_business_date
from ocrm.batch.tasks import BatchTask
from ocrm.lists import background as export_jobs
from ocrm.lists.models import ExportFile


def _write_export(run, export_id):
    export = export_jobs.run_export(export_id, run=run)
    run.count(**{export.status: 1})


@shared_task(bind=True, base=BatchTask, name="ocrm.tasks.run_export")
def run_export(self, export_id):
    bank_id = ExportFile.objects.filter(pk=export_id).values_list("bank_id", flat=True).first()
    return self.run_once(
        export_jobs.JOB_NAME, lambda run: _write_export(run, export_id), bank_id=bank_id, key_extra=str(export_id)
    )


@shared_task(bind=True, base=BatchTask, name="ocrm.tasks.purge_export_files")
def purge_export_files(self, business_date=None):
    return self.run_once(
        export_jobs.PURGE_JOB_NAME,
        lambda run: export_jobs.purge_export_files(run=run),
        business_date=parse_business_date(business_date),
    )
