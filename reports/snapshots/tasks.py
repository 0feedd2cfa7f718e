"""Celery tasks of the snapshots: thin wrappers (ocrm.batch.tasks.BatchTask).

* build_snapshots: the hourly tick (no arguments) builds each active bank's local yesterday once
  its local time has passed reports.snapshot_run_local_hour; the jobs page runs one bank (or all)
  for a date. Each bank in its own run; a date built already is a no-op.
* drop_old_snapshots: daily, the months past reports.snapshot_retention_months go."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec, parse_business_date
from ocrm.batch.tasks import BatchTask
from reports.snapshots import services
from reports.snapshots.build import SnapshotError


@shared_task(bind=True, base=BatchTask, name="reports.tasks.build_snapshots")
def build_snapshots(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(services.NIGHTLY, business_date, bank_id, run_id)


@shared_task(bind=True, base=BatchTask, name="reports.tasks.drop_old_snapshots")
def drop_old_snapshots(self, business_date=None):
    return self.run_once(services.RETENTION_JOB, services.run_retention, business_date=parse_business_date(business_date))


def register_jobs():
    jobs.register(
        JobSpec(services.JOB, _("Report snapshots"), build_snapshots.name, startable=True),
        {
            "customer_rows": _("customer rows"),
            "holding_rows": _("holding rows"),
            "transaction_rows": _("transaction rows"),
            "measure_rows": _("measure rows"),
        },
        readable_errors=[SnapshotError],
    )
    jobs.register(
        JobSpec(services.RETENTION_JOB, _("Report snapshots: months past retention"), drop_old_snapshots.name),
        {"dropped": _("partitions dropped"), "deleted": _("deleted")},
    )
