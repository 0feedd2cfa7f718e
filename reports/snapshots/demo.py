"""The snapshots' part of the demo bank (`make run`): the nightly build (reports.snapshots.build)
run for each demo bank's last DAYS local business dates and for the month ends of its balance
history (customers/demo.py writes twelve), so report pages have today's figures, a week to
compare with and a year of trend. The build is the job's own: the nightly job later finds these
dates DONE and writes nothing for them. --reset removes the demo banks' snapshots."""

import datetime

from django.db import connection, transaction

from customers.master.models import Customer, HoldingBalance
from ocrm.batch import jobs as batch_jobs
from ocrm.seed import SeedPart
from reports.snapshots import build, services
from reports.snapshots.models import SnapshotRun
from sysadmin.org.models import Bank

DEMO_BANKS = ["OGB", "HCB"]
DAYS = 7  # the last local business dates built (yesterday back)


def demo_dates(bank_id):
    """The dates built for a demo bank: its month ends with balance history, then its last DAYS days."""
    yesterday = batch_jobs.today(bank_id) - datetime.timedelta(days=1)
    month_ends = set(
        HoldingBalance.objects.filter(bank_id=bank_id, business_date__lte=yesterday)
        .values_list("business_date", flat=True)
        .distinct()
    )
    days = {yesterday - datetime.timedelta(days=n) for n in range(DAYS)}
    return sorted(month_ends | days)


def load_part(options, write):
    built = rows = 0
    failed = []
    banks = Bank.objects.filter(code__in=DEMO_BANKS, is_active=True).order_by("code")
    for bank in banks:
        if not Customer.objects.filter(bank=bank).exists():  # seed_demo --customers none
            continue
        for day in demo_dates(bank.pk):
            try:
                run = build.build(bank, day)
            except build.SnapshotError as exc:
                failed.append(f"{bank.code} {day}: {exc}")
                continue
            built += 1
            rows += sum(run.rows.get(key, 0) for key in ("customers", "holdings", "transactions", "measures"))
    with connection.cursor() as cursor:
        for table in services.DAY_TABLES:
            cursor.execute(f"ANALYZE {table}")
    if built:
        write(f"  snapshots   {built} business dates, {rows} rows")
    for line in failed:
        write(f"  snapshots   not built: {line}")


def reset_part(options, write):
    bank_ids = list(Bank.objects.filter(code__in=DEMO_BANKS).values_list("pk", flat=True))
    if not bank_ids:
        return
    with transaction.atomic():
        for model in (*services.DAY_MODELS, SnapshotRun):
            model.objects.filter(bank_id__in=bank_ids).delete()


SEED_PART = SeedPart("snapshots", 90, load_part, reset=reset_part)
