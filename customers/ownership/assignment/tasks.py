"""Celery tasks of the assignment area: thin wrappers around its services.

The nightly attribution job (beat row "Nightly customer attribution", migration 0006)
runs every bank that has an attribution rule, each in its own JobRun (job + bank +
business date, the bank's local today: ocrm.batch.per_bank): a rerun of a succeeded bank
does nothing, a failed bank does not stop the others, and the service itself changes
nothing more when run twice. Started from the jobs page for one bank, the bank's run is
closed even without a rule ("no attribution rule")."""

from celery import shared_task
from django.utils.translation import gettext_lazy

from customers.ownership.assignment import services as assignment
from customers.ownership.assignment.models import AttributionRule
from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.per_bank import LOCAL_TODAY, PerBankJob
from ocrm.batch.tasks import BatchTask

JOB = "customers_attribution"


def _attribute(run, scope):
    assignment.apply_attribution(scope.bank_id, scope.business_date, run=run)


def _banks_with_a_rule():
    return AttributionRule.objects.order_by("bank_id").values_list("bank_id", flat=True)


ATTRIBUTION = PerBankJob(JOB, _attribute, LOCAL_TODAY, banks=_banks_with_a_rule)


@shared_task(bind=True, base=BatchTask, name="customers.tasks_assignment.apply_attribution_rules")
def apply_attribution_rules(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(ATTRIBUTION, business_date, bank_id, run_id)


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
