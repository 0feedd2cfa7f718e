"""Celery tasks of the audit area: the retention job and the one-off masking of older entries
(thin wrappers around services' per-bank jobs)."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from ocrm.batch import jobs as batch_jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.tasks import BatchTask
from sysadmin.audit import services


@shared_task(bind=True, base=BatchTask, name="sysadmin.tasks.purge_audit_log")
def purge_audit_log(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(services.RETENTION, business_date, bank_id, run_id)


@shared_task(bind=True, base=BatchTask, name="sysadmin.tasks.scrub_audit_log")
def scrub_audit_log(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(services.SCRUB, business_date, bank_id, run_id)


def register_jobs():
    batch_jobs.register(
        JobSpec(services.AUDIT_RETENTION, _("Audit-log retention clean-up"), purge_audit_log.name, startable=True),
        {"deleted": _("deleted"), "deleted_without_bank": _("deleted (no bank)")},
    )
    batch_jobs.register(
        JobSpec(services.AUDIT_SCRUB, _("Mask personal data in older audit entries"), scrub_audit_log.name, startable=True),
        {"masked": _("entries masked"), "masked_without_bank": _("entries masked (no bank)")},
    )
