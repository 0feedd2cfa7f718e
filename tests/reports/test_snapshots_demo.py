"""The snapshots' demo part: `make run`'s demo banks have snapshots of their last days and of the
month ends of their balance history (report pages have data), the nightly job later writes
nothing more for those dates, and --reset removes them."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Sum

from customers.master.models import Customer
from ocrm.batch import jobs
from reports.snapshots import demo
from reports.snapshots import tasks as snapshot_tasks
from reports.snapshots.models import CustomerDay, HoldingDay, SnapshotRun
from sysadmin.org.models import Bank

pytestmark = pytest.mark.django_db


def test_the_demo_banks_have_snapshots_of_their_last_days_and_month_ends():
    out = io.StringIO()
    call_command("seed_demo", "--customers-count", "200", stdout=out)
    assert "snapshots" in out.getvalue() and "not built" not in out.getvalue()
    for bank in Bank.objects.filter(code__in=demo.DEMO_BANKS):
        yesterday = jobs.today(bank.pk) - datetime.timedelta(days=1)
        runs = SnapshotRun.objects.filter(bank_id=bank.pk)
        dates = set(runs.values_list("business_date", flat=True))
        assert {yesterday - datetime.timedelta(days=n) for n in range(demo.DAYS)} <= dates
        assert len(dates) >= demo.DAYS + 11  # and the month ends of a year
        assert set(runs.values_list("status", flat=True)) == {SnapshotRun.Status.DONE}
        customers = Customer.objects.filter(bank=bank, merged_into__isnull=True).count()
        assert CustomerDay.objects.filter(bank_id=bank.pk, business_date=yesterday).count() == customers
        # The customers' AUM and the holdings' asset lines agree, in the bank's base currency.
        aum = CustomerDay.objects.filter(bank_id=bank.pk, business_date=yesterday).aggregate(s=Sum("aum"))["s"]
        lines = HoldingDay.objects.filter(bank_id=bank.pk, business_date=yesterday, category="asset")
        assert aum == lines.aggregate(s=Sum("balance_base"))["s"] and aum > 0
        # The nightly job finds the date built: nothing more.
        rows = CustomerDay.objects.count()
        snapshot_tasks.build_snapshots.apply(kwargs={"bank_id": bank.pk, "business_date": yesterday.isoformat()}).get()
        assert CustomerDay.objects.count() == rows
    old_banks = list(Bank.objects.filter(code__in=demo.DEMO_BANKS).values_list("pk", flat=True))
    call_command("seed_demo", "--reset", "--customers", "none", stdout=io.StringIO())
    assert not SnapshotRun.objects.filter(bank_id__in=old_banks).exists()
    assert not CustomerDay.objects.filter(bank_id__in=old_banks).exists()
    # Demo banks without customers get no snapshots.
    assert not SnapshotRun.objects.exists()
