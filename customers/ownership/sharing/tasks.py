"""Celery tasks of the sharing area: thin wrappers around its services.

The hourly clean-up only tidies the permission tables: access through an expired or
revoked share has already ended at query time (CustomerQuerySet._granted_ids)."""

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext_lazy

from customers.ownership.sharing import services as sharing
from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.runs import job_run

JOB = "customer_share_clean_up"


RETRY_HELD_RUN_SECONDS = 60


@shared_task(bind=True, name="customers.tasks.clean_up_ended_shares")
def clean_up_ended_shares(self):
    # One run per hour: a redelivered message of the same hour resumes or skips it.
    hour = timezone.now().strftime("%Y-%m-%dT%H")
    with job_run(JOB, business_date=timezone.now().date(), key_extra=hour, task_id=self.request.id or "") as run:
        if run.running_elsewhere:
            raise self.retry(countdown=RETRY_HELD_RUN_SECONDS, max_retries=None)
        if not run.already_done:
            run.count(grants_removed=sharing.clean_up_ended_grants())
    return run.summary()


def register_jobs():
    # Hourly: it runs on its own schedule, so the jobs page only names it.
    jobs.register(
        JobSpec(JOB, gettext_lazy("Customer share clean-up"), clean_up_ended_shares.name),
        {"grants_removed": gettext_lazy("grants removed")},
    )
