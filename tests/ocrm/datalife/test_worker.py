"""The data lifecycle's jobs on a real Celery worker, as beat sends them (no arguments)."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.datalife import partitions
from ocrm.datalife.tasks import maintain_partitions, purge_old_data
from ocrm.notifications.models import Notification
from sysadmin.parameters import services as parameters

pytestmark = pytest.mark.worker


def test_a_worker_runs_the_clean_up_and_the_partition_job_as_beat_sends_them(celery_worker, org):
    parameters.set_value("notification.keep_days", 10)
    parameters.set_value("notification.keep_days", 40, bank=org.bank_b)
    now = timezone.now()
    for bank, user in ((org.bank_a, org.admin), (org.bank_b, org.b_manager)):
        for days in (30, 5):
            Notification.objects.create(
                recipient=user, bank_id=bank.pk, created_at=now - datetime.timedelta(days=days), title=f"{bank.code} {days}"
            )
    # An audit entry 20 months back sits in the default partition until the job gives it its month.
    month = partitions.add_months(partitions.this_month(), -20)
    entry = AuditLog.objects.create(
        at=datetime.datetime.combine(month.replace(day=3), datetime.time(1), tzinfo=datetime.UTC),
        bank_id=org.bank_a.pk,
        action=AuditLog.Action.OTHER,
        object_type="test.worker",
    )

    purge = purge_old_data.delay()
    assert purge.get(timeout=120)["status"] == JobRun.Status.SUCCEEDED
    assert set(Notification.objects.values_list("title", flat=True)) == {"BKA 5", "BKB 30", "BKB 5"}

    result = maintain_partitions.delay()
    assert result.get(timeout=120)["status"] == JobRun.Status.SUCCEEDED
    run = JobRun.objects.get(job="partition_maintenance", task_id=result.id)
    assert run.counts["moved"] >= 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM ocrm_auditlog WHERE id = %s", [entry.pk])
        assert cursor.fetchone()[0] == f"ocrm_auditlog_p{month:%Y%m}"
