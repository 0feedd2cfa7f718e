"""Celery tasks of campaigns: thin wrappers around its services.

The nightly conversion job runs each bank on its own (ocrm.batch.per_bank): members whose holdings
show a campaign product opened in the window convert, targets are credited (idempotent), and the
campaign's aggregates are rebuilt."""

from celery import shared_task
from django.utils.translation import gettext_lazy

from marketing.campaigns import services
from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.per_bank import LOCAL_TODAY, PerBankJob
from ocrm.batch.tasks import BatchTask

JOB = "campaign_conversions"


def _detect(run, scope):
    run.count(converted=services.detect_conversions(scope.bank_id))


CONVERSIONS = PerBankJob(JOB, _detect, LOCAL_TODAY)


@shared_task(bind=True, base=BatchTask, name="marketing.tasks.campaign_conversions")
def campaign_conversions(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(CONVERSIONS, business_date, bank_id, run_id)


def register_jobs():
    jobs.register(
        JobSpec(JOB, gettext_lazy("Campaign conversions"), campaign_conversions.name, startable=True),
        {"converted": gettext_lazy("converted")},
    )
