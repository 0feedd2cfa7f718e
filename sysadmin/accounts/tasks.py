"""Celery task of the accounts area: the password-expiry notices job (thin wrapper around jobs.py)."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from ocrm.batch import jobs as batch_jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.tasks import _run
from sysadmin.accounts import jobs


@shared_task(bind=True, name="sysadmin.tasks.send_password_expiry_notices")
def send_password_expiry_notices(self, business_date=None, bank_id=None, run_id=None):
    return _run(self, jobs.PASSWORD_EXPIRY_NOTICES, jobs.send_password_expiry_notices, business_date, bank_id, run_id)


def register_jobs():
    batch_jobs.register(
        JobSpec(jobs.PASSWORD_EXPIRY_NOTICES, _("Password-expiry notices"), send_password_expiry_notices.name, startable=True),
        {"notified": _("notified"), "notified_without_bank": _("notified (no bank)")},
    )
