"""Celery tasks of the reminders: the generation (hourly tick, each bank's branch zones after their
local midnight, one run per bank, zone and business date) and the delivery tick (every 5 minutes).

The delivery is not a JobRun of its own (it would fill the jobs page with a row every 5 minutes):
its UPDATE ... RETURNING marks each reminder delivered once and its notifications are deduplicated,
so a duplicate or lost tick is harmless."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.per_bank import BusinessDay, PerBankJob, active_banks
from ocrm.batch.tasks import BatchTask
from workbench.reminders import services

# Each branch zone of every active bank, for its local today, once its local time has passed
# reminders.run_local_hour (0: the first tick after local midnight).
GENERATION = PerBankJob(
    services.JOB,
    services.generate_scope,
    BusinessDay(per_branch_zone=True, not_before_hour="reminders.run_local_hour"),
    banks=active_banks,
)


@shared_task(bind=True, base=BatchTask, name="workbench.tasks.generate_reminders")
def generate_reminders(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(GENERATION, business_date, bank_id, run_id)


@shared_task(name="workbench.tasks.deliver_reminders")
def deliver_reminders():
    return {"delivered": services.deliver_due()}


def register_jobs():
    jobs.register(
        JobSpec(services.JOB, _("Reminders"), generate_reminders.name, startable=True),
        {"reminders_created": _("reminders created")},
        # Its refusals (a parameter out of range) are for operators to act on.
        readable_errors=[services.ReminderError],
    )
