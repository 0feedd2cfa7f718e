"""The reminders job on a real Celery worker: one bank for a business date, then a rerun and a
later night with overlapping windows add nothing."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from ocrm.batch.models import JobRun
from workbench.reminders import services
from workbench.reminders.models import Reminder
from workbench.reminders.tasks import generate_reminders

from .conftest import deposit

pytestmark = [pytest.mark.timeout(300), pytest.mark.usefixtures("english_staff")]


def test_a_worker_generates_once_and_a_rerun_inserts_nothing(celery_worker, desk):
    # Two days back in the westernmost zone of the desk (New York): "the next night" below is then
    # yesterday or earlier in every branch's zone, never a business date in the future, whatever
    # the hour this runs at.
    day = timezone.now().astimezone(zoneinfo.ZoneInfo("America/New_York")).date() - datetime.timedelta(days=2)
    for customer in (desk.cust_sh, desk.cust_ldn, desk.cust_ny):
        deposit(customer, desk.time_deposit, day + datetime.timedelta(days=5))

    result = generate_reminders.delay(business_date=day.isoformat(), bank_id=desk.org.bank_a.pk).get(timeout=90)
    assert result["status"] == JobRun.Status.SUCCEEDED
    zone_runs = JobRun.objects.filter(job=services.JOB, bank_id=desk.org.bank_a.pk).exclude(key__endswith="|")
    assert sum(run.counts["reminders_created"] for run in zone_runs) == 3
    assert Reminder.objects.count() == 3

    again = generate_reminders.delay(business_date=day.isoformat(), bank_id=desk.org.bank_a.pk).get(timeout=90)
    assert again["job_run"] == result["job_run"]  # the same run: already done
    assert Reminder.objects.count() == 3

    # The next night's windows hold the same events: the job runs and inserts 0 rows.
    later = generate_reminders.delay(business_date=(day + datetime.timedelta(days=1)).isoformat(), bank_id=desk.org.bank_a.pk)
    later = later.get(timeout=90)
    assert later["status"] == JobRun.Status.SUCCEEDED
    next_runs = JobRun.objects.filter(job=services.JOB, business_date=day + datetime.timedelta(days=1)).exclude(key__endswith="|")
    assert next_runs.exists() and all(run.counts == {"reminders_created": 0} for run in next_runs)
    assert Reminder.objects.count() == 3
