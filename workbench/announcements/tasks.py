"""Celery tasks of announcements: thin wrappers around its services.

The daily reminder job runs each bank on its own (ocrm.batch.per_bank, the bank's local today):
every person who has not acknowledged a current announcement asking for it is reminded once per
business date, and after announcements.escalate_after_days their supervisor is told once. The
notifications' dedupe keys make a rerun send nothing new."""

from celery import shared_task
from django.utils.translation import gettext_lazy

from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.per_bank import LOCAL_TODAY, PerBankJob
from ocrm.batch.tasks import BatchTask
from workbench.announcements import services

JOB = "announcement_reminders"


def _remind(run, scope):
    run.count(**services.send_reminders(scope.bank_id, scope.business_date))


REMINDERS = PerBankJob(JOB, _remind, LOCAL_TODAY)


@shared_task(bind=True, base=BatchTask, name="workbench.tasks.announcement_reminders")
def announcement_reminders(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(REMINDERS, business_date, bank_id, run_id)


def register_jobs():
    jobs.register(
        JobSpec(JOB, gettext_lazy("Announcement acknowledgement reminders"), announcement_reminders.name, startable=True),
        {
            "announcements": gettext_lazy("announcements"),
            "reminded": gettext_lazy("reminded"),
            "escalated": gettext_lazy("supervisors told"),
        },
    )
