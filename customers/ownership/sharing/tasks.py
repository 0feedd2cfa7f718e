"""Celery tasks of the sharing area: thin wrappers around its services.

The hourly clean-up only tidies the permission tables: access through an expired or
revoked share has already ended at query time (CustomerQuerySet._granted_ids)."""

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext_lazy

from customers.ownership.sharing import services as sharing
from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.tasks import BatchTask

JOB = "customer_share_clean_up"


@shared_task(bind=True, base=BatchTask, name="customers.tasks.clean_up_ended_shares")
def clean_up_ended_shares(self):
    # One run per hour: a redelivered message of the same hour resumes or skips it.
    now = timezone.now()
    return self.run_once(
        JOB,
        lambda run: run.count(grants_removed=sharing.clean_up_ended_grants()),
        business_date=now.date(),
        key_extra=now.strftime("%Y-%m-%dT%H"),
    )


def register_jobs():
    # Hourly: it runs on its own schedule, so the jobs page only names it.
    jobs.register(
        JobSpec(JOB, gettext_lazy("Customer share clean-up"), clean_up_ended_shares.name),
        {"grants_removed": gettext_lazy("grants removed")},
    )
