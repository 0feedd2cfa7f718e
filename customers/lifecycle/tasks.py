"""Celery tasks of the lifecycle area: thin wrappers around customers.lifecycle.services.run_nightly.

One task, three ways in:
* the hourly beat tick (no arguments): every active bank whose head-office local time has
  passed `lifecycle.run_local_hour` runs for its local yesterday. Banks in other time zones
  reach their night at other ticks; the run key (job + bank + business date) makes every
  later tick of the same local day a no-op;
* the jobs page for one bank (business date, bank id, the queued run's id);
* the jobs page for all banks (a superuser, bank id None): each bank in its own sub-run.

Messages are acknowledged late: a killed worker's message comes back and job_run resumes
the same JobRun; the run is one transaction, so the rerun starts from a clean state."""

import datetime
import logging

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.lifecycle import services as lifecycle
from ocrm import parameters
from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.runs import job_run

logger = logging.getLogger("customers.lifecycle.services")


RETRY_HELD_RUN_SECONDS = 60


class HeldElsewhere(Exception):
    """A bank's run is held by another live worker right now."""


def _bank_run(task, bank_id, business_date, run_id=None, triggered_by=None):
    """One bank's run for one date; None when it had already succeeded."""
    with job_run(
        lifecycle.JOB,
        bank_id=bank_id,
        business_date=business_date,
        task_id=task.request.id or "",
        run_id=run_id,
        triggered_by=triggered_by,
    ) as run:
        if run.running_elsewhere:
            raise HeldElsewhere(run.id)
        if run.already_done:
            return run.summary()
        lifecycle.run_nightly(bank_id, business_date, run=run, actor=run.run.triggered_by)
    return run.summary()


def banks_due(now=None):
    """(bank id, business date) of every active bank whose local night has come."""
    from sysadmin.org.models import Bank

    now = now or timezone.now()
    due = []
    for bank_id in Bank.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True):
        local = now.astimezone(lifecycle.bank_zone(bank_id))
        if local.hour >= parameters.get("lifecycle.run_local_hour", bank_id):
            due.append((bank_id, local.date() - datetime.timedelta(days=1)))
    return due


@shared_task(bind=True, name="customers.tasks_lifecycle.run_lifecycle")
def run_lifecycle(self, business_date=None, bank_id=None, run_id=None):
    from sysadmin.org.models import Bank

    try:
        if bank_id is not None:
            return _bank_run(self, bank_id, business_date or lifecycle.local_yesterday(bank_id), run_id)
        if business_date is None:  # the beat tick
            results, failed = [], []
            for due_bank, due_date in banks_due():
                try:
                    results.append(_bank_run(self, due_bank, due_date))
                except HeldElsewhere:
                    raise
                except Exception:  # in that bank's own run report; the other banks go on
                    logger.exception("lifecycle run failed for bank %s", due_bank)
                    failed.append(due_bank)
            if failed:
                raise lifecycle.LifecycleError(f"The lifecycle run failed for bank ids {failed}; see their runs.")
            return results
        # All banks for one date, from the jobs page: the queued row is the parent run.
        with job_run(lifecycle.JOB, business_date=business_date, task_id=self.request.id or "", run_id=run_id) as parent:
            if parent.running_elsewhere:
                raise HeldElsewhere(parent.id)
            if parent.already_done:
                return parent.summary()
            bank_ids = list(Bank.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
            parent.set_total(len(bank_ids))
            failed = []
            for each in bank_ids:
                try:
                    _bank_run(self, each, business_date, triggered_by=parent.run.triggered_by)
                except HeldElsewhere:
                    raise
                except Exception:
                    logger.exception("lifecycle run failed for bank %s", each)
                    failed.append(each)
                parent.advance(1)
            parent.count(banks=len(bank_ids))
            if failed:
                raise lifecycle.LifecycleError(f"The lifecycle run failed for bank ids {failed}; see their runs.")
        return parent.summary()
    except HeldElsewhere:
        raise self.retry(countdown=RETRY_HELD_RUN_SECONDS, max_retries=None) from None


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
    )
