"""Celery tasks of the matching area: thin wrappers around its services.

find_duplicates: the nightly scan of each bank's customers for duplicates (customers.ecif.matching.services
.find_duplicates), one JobRun per bank and business date; a rerun of a date that succeeded
does nothing more, and the scan itself never proposes a pair twice (decided pairs are kept)."""

import logging

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext_lazy

from customers.ecif.matching import services as matching
from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.runs import job_run

logger = logging.getLogger("customers.ecif.matching.services")


JOB = "customers_find_duplicates"


RETRY_HELD_RUN_SECONDS = 60


class HeldElsewhere(Exception):
    """A bank's run is held by another live worker right now."""


def _bank_run(task, bank_id, business_date, run_id=None):
    with job_run(JOB, bank_id=bank_id, business_date=business_date, task_id=task.request.id or "", run_id=run_id) as run:
        if run.running_elsewhere:
            raise HeldElsewhere(run.id)
        if run.already_done:
            return run.summary()
        run.set_total(1)
        counts = matching.find_duplicates(bank_id, actor=run.run.triggered_by)
        run.count(**counts)
        run.advance(1)
    return run.summary()


@shared_task(bind=True, name="customers.tasks_matching.find_duplicates", acks_late=True)
def find_duplicates(self, business_date=None, bank_id=None, run_id=None):
    """One bank (bank_id) or every active bank, each in its own run, for business_date (default today, UTC)."""
    from sysadmin.org.models import Bank

    business_date = business_date or timezone.now().date().isoformat()
    try:
        if bank_id is not None:
            return _bank_run(self, bank_id, business_date, run_id)
        results, failed = [], []
        for each in Bank.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True):
            try:
                results.append(_bank_run(self, each, business_date))
            except HeldElsewhere:
                raise
            except Exception:  # recorded in that bank's run; the other banks go on
                logger.exception("duplicate scan failed for bank %s", each)
                failed.append(each)
        if failed:
            raise RuntimeError(f"The duplicate scan failed for bank ids {failed}; see their runs.")
        return results
    except HeldElsewhere:
        raise self.retry(countdown=RETRY_HELD_RUN_SECONDS, max_retries=None) from None


def register_jobs():
    jobs.register(JobSpec(JOB, gettext_lazy("Duplicate customer scan"), find_duplicates.name, startable=True))
