"""Celery tasks of the matching area: thin wrappers around its services.

find_duplicates: the nightly scan of each active bank's customers for duplicates
(services.find_duplicates), one run per bank and business date - the bank's local today
(ocrm.batch.per_bank); a rerun of a date that succeeded does nothing more, and the scan
itself never proposes a pair twice (decided pairs are kept)."""

from celery import shared_task
from django.utils.translation import gettext_lazy

from customers.ecif.matching import services as matching
from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.per_bank import LOCAL_TODAY, PerBankJob, active_banks
from ocrm.batch.tasks import BatchTask

JOB = "customers_find_duplicates"


def _scan(run, scope):
    run.set_total(1)
    run.count(**matching.find_duplicates(scope.bank_id, actor=run.run.triggered_by))
    run.advance(1)


DUPLICATE_SCAN = PerBankJob(JOB, _scan, LOCAL_TODAY, banks=active_banks)


@shared_task(bind=True, base=BatchTask, name="customers.tasks_matching.find_duplicates")
def find_duplicates(self, business_date=None, bank_id=None, run_id=None):
    """One bank (bank_id) or every active bank, each in its own run, for business_date (default: each bank's local today)."""
    return self.run_per_bank(DUPLICATE_SCAN, business_date, bank_id, run_id)


def register_jobs():
    jobs.register(
        JobSpec(JOB, gettext_lazy("Duplicate customer scan"), find_duplicates.name, startable=True),
        {"queued": gettext_lazy("pairs queued for review"), "merged": gettext_lazy("customers merged")},
    )
