"""Celery task of the accounts area: the password-expiry notices job (thin wrapper around jobs.py's job)."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from ocrm.batch import jobs as batch_jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.tasks import BatchTask
from sysadmin.accounts import jobs


@shared_task(bind=True, base=BatchTask, name="sysadmin.tasks.send_password_expiry_notices")
def send_password_expiry_notices(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(jobs.NOTICES, business_date, bank_id, run_id)


def register_jobs():
    batch_jobs.register(
        JobSpec(jobs.PASSWORD_EXPIRY_NOTICES, _("Password-expiry notices"), send_password_expiry_notices.name, startable=True),
        {"notified": _("notified"), "notified_without_bank": _("notified (no bank)")},
    )
