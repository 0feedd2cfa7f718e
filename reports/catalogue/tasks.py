"""The catalogue's jobs: scheduled report deliveries (every quarter of an hour, each subscription
at its own local time) and the monthly formatted branch reports (each bank after its month-end
snapshot). Thin wrappers over reports.catalogue.delivery and reports.catalogue.formatted."""

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.per_bank import LOCAL_YESTERDAY, PerBankJob, active_banks
from ocrm.batch.tasks import BatchTask
from reports.catalogue import delivery, formatted

SUBSCRIPTIONS_JOB = "reports_subscriptions"
MONTHLY = PerBankJob(formatted.JOB, formatted.month_end_reports, LOCAL_YESTERDAY, banks=active_banks)


@shared_task(bind=True, base=BatchTask, name="reports.tasks.deliver_report_subscriptions")
def deliver_report_subscriptions(self):
    # One run per quarter-hour tick: a redelivered message of the same tick resumes or skips it.
    now = timezone.now()
    tick = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    return self.run_once(
        SUBSCRIPTIONS_JOB,
        lambda run: delivery.run_due(now, run=run),
        business_date=now.date(),
        key_extra=tick.strftime("%Y-%m-%dT%H:%M"),
    )


@shared_task(bind=True, base=BatchTask, name="reports.tasks.monthly_branch_reports")
def monthly_branch_reports(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(MONTHLY, business_date, bank_id, run_id)


def register_jobs():
    jobs.register(
        JobSpec(SUBSCRIPTIONS_JOB, _("Scheduled report deliveries"), deliver_report_subscriptions.name),
        {"delivered": _("delivered"), "skipped": _("skipped (empty)"), "failed": _("failed")},
    )
    jobs.register(
        JobSpec(formatted.JOB, _("Monthly branch reports"), monthly_branch_reports.name, startable=True),
        {"reports": _("reports")},
    )
