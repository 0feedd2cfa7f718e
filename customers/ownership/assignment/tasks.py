"""Celery tasks of the assignment area: thin wrappers around its services.

The nightly attribution job (beat row "Nightly customer attribution", migration 0006)
runs every bank that has an attribution rule, each in its own JobRun (job + bank +
business date): a rerun of a succeeded bank does nothing, a failed bank does not stop
the others, and the service itself changes nothing more when run twice."""

import datetime

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.runs import job_run

JOB = "customers_attribution"


RETRY_HELD_RUN_SECONDS = 60


@shared_task(bind=True, name="customers.tasks_assignment.apply_attribution_rules")
def apply_attribution_rules(self, business_date=None, bank_id=None, run_id=None):
    from customers.ownership.assignment import services as assignment
    from customers.ownership.assignment.models import AttributionRule

    if isinstance(business_date, str) and business_date:
        business_date = datetime.date.fromisoformat(business_date)
    business_date = business_date or timezone.now().astimezone(datetime.UTC).date()
    banks = AttributionRule.objects.order_by("bank_id").values_list("bank_id", flat=True)
    if run_id is not None:
        # Started from the jobs page: the queued row is the run of that bank (closed even without a
        # rule) or, for all banks, the one run of them all.
        with job_run(JOB, bank_id=bank_id, business_date=business_date, task_id=self.request.id or "", run_id=run_id) as run:
            if run.running_elsewhere:
                raise self.retry(countdown=RETRY_HELD_RUN_SECONDS, max_retries=None)
            if not run.already_done:
                for bank in [bank_id] if bank_id is not None else list(banks):
                    assignment.apply_attribution(bank, business_date, run=run)
        return [run.summary()]
    if bank_id is not None:
        banks = banks.filter(bank_id=bank_id)
    summaries = []
    for bank in banks:
        with job_run(JOB, bank_id=bank, business_date=business_date, task_id=self.request.id or "") as run:
            if run.running_elsewhere:
                raise self.retry(countdown=RETRY_HELD_RUN_SECONDS, max_retries=None)
            if not run.already_done:
                assignment.apply_attribution(bank, business_date, run=run)
        summaries.append(run.summary())
    return summaries


def register_jobs():
    jobs.register(
        JobSpec(JOB, gettext_lazy("Nightly customer attribution"), apply_attribution_rules.name, startable=True),
        {
            "assigned": gettext_lazy("assigned"),
            "branch_changed": gettext_lazy("branch changed"),
            "in_pool": gettext_lazy("left in the pool"),
            "claims_closed": gettext_lazy("claims closed"),
            "no_rule": gettext_lazy("no attribution rule"),
        },
    )
