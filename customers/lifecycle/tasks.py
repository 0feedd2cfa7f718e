"""Celery tasks of the lifecycle area: a thin wrapper around services.NIGHTLY, the nightly
lifecycle and rating job (ocrm.batch.per_bank runs it).

One task, three ways in:
* the hourly beat tick (no arguments): every active bank whose head-office local time has
  passed `lifecycle.run_local_hour` runs for its local yesterday, each in its own run.
  Banks in other time zones reach their night at other ticks; the run key (job + bank +
  business date) makes every later tick of the same local day a no-op, and a tick that
  finds no bank due writes no run;
* the jobs page for one bank (business date, bank id, the queued run's id);
* the jobs page for all banks (a superuser, bank id None): each bank in its own sub-run.

Messages are acknowledged late: a killed worker's message comes back and job_run resumes
the same JobRun; the run is one transaction, so the rerun starts from a clean state."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from customers.lifecycle import services as lifecycle
from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.tasks import BatchTask


@shared_task(bind=True, base=BatchTask, name="customers.tasks_lifecycle.run_lifecycle")
def run_lifecycle(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(lifecycle.NIGHTLY, business_date, bank_id, run_id)


def register_jobs():
    jobs.register(
        JobSpec(lifecycle.JOB, _("Nightly lifecycle and rating"), run_lifecycle.name, startable=True),
        {
            "customers": _("customers"),
            "stage_changes": _("stage changes"),
            "rating_changes": _("rating changes"),
            "customers_updated": _("customers updated"),
            "history_rows_written": _("history rows written"),
            "managers_notified": _("managers notified"),
        },
        # Its refusals (a parameter out of range, no exchange rate, a day not ended) are for operators to act on.
        readable_errors=[lifecycle.LifecycleError],
    )
