"""The workbench's part of the demo bank: today's reminders of the demo customers, written by the
same generation the hourly job runs (workbench.reminders.services.generate), for each branch zone's
local today; the job's own runs later add nothing for those dates (one reminder per event and lead)."""

from ocrm.batch.per_bank import scopes
from ocrm.seed import SeedPart
from sysadmin.org.models import Bank
from workbench.reminders import services
from workbench.reminders.tasks import GENERATION


def load_part(options, write):
    created = 0
    for bank_id in Bank.objects.filter(code__in=["OGB", "HCB"], is_active=True).values_list("pk", flat=True):
        for scope in scopes(GENERATION, bank_id):
            created += services.generate(scope.bank_id, scope.business_date, scope.branch_ids)["reminders_created"]
    if created:
        write(f"  reminders   {created} for today")


SEED_PART = SeedPart("workbench", 60, load_part)
