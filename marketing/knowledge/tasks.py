"""Celery task of the knowledge base: a thin wrapper around its services.

The nightly review notice runs each bank on its own (ocrm.batch.per_bank) for the bank's local
today: every owner hears once of each article of theirs that expired or whose review date came
(marketing.knowledge.services.notify_due_owners; a rerun sends nothing twice)."""

from celery import shared_task
from django.utils.translation import gettext_lazy

from marketing.knowledge import services
from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.per_bank import LOCAL_TODAY, PerBankJob
from ocrm.batch.tasks import BatchTask

JOB = "knowledge_review"


def _notify(run, scope):
    run.count(notified=services.notify_due_owners(scope.bank_id, scope.business_date))


REVIEW = PerBankJob(JOB, _notify, LOCAL_TODAY)


@shared_task(bind=True, base=BatchTask, name="marketing.tasks.knowledge_review")
def knowledge_review(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(REVIEW, business_date, bank_id, run_id)


def register_jobs():
    jobs.register(
        JobSpec(JOB, gettext_lazy("Knowledge articles due for review"), knowledge_review.name, startable=True),
        {"notified": gettext_lazy("notified")},
    )
