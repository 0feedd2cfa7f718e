"""Celery task of appraisal: the monthly (and quarterly) scores, per bank, on an hourly tick once
the bank's local time (head office) has passed appraisal.run_local_hour on the first day of a
month (the business date is the local yesterday: the month's last day, whose snapshot it reads)."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.per_bank import BusinessDay, PerBankJob, active_banks
from ocrm.batch.tasks import BatchTask
from reports.appraisal import services

SCORES = PerBankJob(
    services.JOB,
    services.compute_scope,
    BusinessDay(days_back=1, not_before_hour="appraisal.run_local_hour"),
    banks=active_banks,
)


@shared_task(bind=True, base=BatchTask, name="reports.tasks.compute_kpi_scores")
def compute_kpi_scores(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(SCORES, business_date, bank_id, run_id)


def register_jobs():
    jobs.register(
        JobSpec(services.JOB, _("Performance scores"), compute_kpi_scores.name, startable=True),
        {"kpi_scores": _("scores"), "kpi_score_lines": _("score lines")},
        readable_errors=[services.ScoringError],
    )
