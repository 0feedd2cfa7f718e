"""Celery tasks of the data lifecycle: thin wrappers, each in a run of its own (BatchTask)."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from ocrm import parameters
from ocrm.batch import jobs as batch_jobs
from ocrm.batch.jobs import JobSpec, parse_business_date
from ocrm.batch.tasks import BatchTask
from ocrm.datalife import backup, retention, services

PARTITIONS = "partition_maintenance"
BACKUP = "backup"


@shared_task(bind=True, base=BatchTask, name="ocrm.tasks.purge_old_data")
def purge_old_data(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(retention.PURGE, business_date, bank_id, run_id)


# Platform jobs, for every bank at once: scheduled only, never started from a bank's jobs page.
@shared_task(bind=True, base=BatchTask, name="ocrm.tasks.maintain_partitions")
def maintain_partitions(self, business_date=None):
    return self.run_once(PARTITIONS, services.run_maintenance, business_date=parse_business_date(business_date))


@shared_task(bind=True, base=BatchTask, name="ocrm.tasks.backup_database")
def backup_database(self, business_date=None):
    return self.run_once(
        BACKUP,
        lambda run: backup.scheduled_backup(parameters.get("backup.keep_days"), run=run),
        business_date=parse_business_date(business_date),
    )


def register_jobs():
    batch_jobs.register(JobSpec(retention.DATA_PURGE, retention.LABEL, purge_old_data.name, startable=True))
    batch_jobs.register(
        JobSpec(PARTITIONS, _("Monthly partitions: months ahead, audit-log retention"), maintain_partitions.name),
        {"created": _("partitions created"), "moved": _("rows moved"), "dropped": _("partitions dropped")},
    )
    batch_jobs.register(
        JobSpec(BACKUP, _("Database and file backup"), backup_database.name),
        {"tables": _("tables"), "files": _("files"), "removed": _("old backups removed")},
    )
