"""The retention clean-up (ocrm.datalife.retention): per bank, each bank's keep-days parameter,
its cut-off at midnight in the bank's own zone; rows on both sides of it in two banks of
different zones; stored files removed with their rows kept."""

import datetime
import zoneinfo

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_celery_beat.models import PeriodicTask

from customers.ecif.feeds.models import FeedError, FeedLoad
from ocrm.audit.models import AuditLog
from ocrm.batch import jobs
from ocrm.batch.models import JobRun
from ocrm.batch.per_bank import run_per_bank
from ocrm.celery import app
from ocrm.datalife import retention
from ocrm.notifications.models import Notification
from sysadmin.imports.models import ImportBatch, ImportRow
from sysadmin.org.models import Branch
from sysadmin.parameters import services as parameters

pytestmark = pytest.mark.django_db

DAY = jobs.today() - datetime.timedelta(days=1)  # a date that has begun in every zone
SHANGHAI, NEW_YORK = zoneinfo.ZoneInfo("Asia/Shanghai"), zoneinfo.ZoneInfo("America/New_York")


def local_midnight(days_back, zone):
    return datetime.datetime.combine(DAY - datetime.timedelta(days=days_back), datetime.time.min, tzinfo=zone)


def around(cutoff):
    """A moment just before the cut-off (goes) and one just after (stays)."""
    return cutoff - datetime.timedelta(minutes=1), cutoff + datetime.timedelta(minutes=1)


@pytest.fixture
def two_zones(org, settings, tmp_path):
    """Bank A (Shanghai) keeps 10 days of everything, bank B (its head office moved to New
    York) 20; entries of no bank the global 60."""
    settings.MEDIA_ROOT = str(tmp_path)
    Branch.objects.filter(pk__in=[org.b_ho.pk, org.b_hk.pk]).update(timezone="America/New_York")
    for key in ("notification.keep_days", "import.staging_keep_days", "feed.staging_keep_days"):
        parameters.set_value(key, 60)
        parameters.set_value(key, 10, bank=org.bank_a)
        parameters.set_value(key, 20, bank=org.bank_b)
    org.cut_a, org.cut_b = local_midnight(10, SHANGHAI), local_midnight(20, NEW_YORK)
    return org


def notify(user, bank_id, at, title):
    return Notification.objects.create(recipient=user, bank_id=bank_id, created_at=at, title=title)


def test_notifications_go_at_each_banks_local_midnight_cut_off(two_zones):
    org = two_zones
    for bank, user, cut in ((org.bank_a, org.admin, org.cut_a), (org.bank_b, org.b_manager, org.cut_b)):
        old, new = around(cut)
        notify(user, bank.pk, old, f"{bank.code} old")
        notify(user, bank.pk, new, f"{bank.code} new")
    # Bank A's cut-off read in UTC would be 8 hours later: a row between the two stays.
    notify(org.admin, org.bank_a.pk, org.cut_a + datetime.timedelta(hours=4), "BKA between")
    global_cut = datetime.datetime.combine(DAY - datetime.timedelta(days=60), datetime.time.min, tzinfo=datetime.UTC)
    notify(org.admin, None, global_cut - datetime.timedelta(minutes=1), "none old")
    notify(org.admin, None, global_cut + datetime.timedelta(minutes=1), "none new")

    summary = run_per_bank(retention.PURGE, DAY)

    assert summary["status"] == JobRun.Status.SUCCEEDED
    left = set(Notification.objects.values_list("title", flat=True))
    assert left == {"BKA new", "BKB new", "BKA between", "none new"}
    runs = {run.bank_id: run for run in JobRun.objects.filter(job=retention.DATA_PURGE, business_date=DAY)}
    assert runs[org.bank_a.pk].counts["notifications"] == 1
    assert runs[org.bank_b.pk].counts["notifications"] == 1
    assert runs[None].counts["notifications_without_bank"] == 1
    # One audit entry per bank, in that bank's log, with the cut-off it used.
    entry = AuditLog.objects.get(action=AuditLog.Action.JOB, bank_id=org.bank_b.pk, detail__event="finished")
    assert entry.detail["notifications"]["deleted"] == 1 and entry.detail["notifications"]["keep_days"] == 20


def test_one_bank_run_leaves_the_other_bank_alone(two_zones):
    org = two_zones
    notify(org.admin, org.bank_a.pk, around(org.cut_a)[0], "A old")
    notify(org.b_manager, org.bank_b.pk, around(org.cut_b)[0], "B old")
    run_per_bank(retention.PURGE, DAY, org.bank_a.pk)
    assert set(Notification.objects.values_list("title", flat=True)) == {"B old"}


def test_zero_keeps_everything(two_zones):
    org = two_zones
    parameters.set_value("notification.keep_days", 0, bank=org.bank_a)
    notify(org.admin, org.bank_a.pk, around(org.cut_a)[0] - datetime.timedelta(days=3000), "ancient")
    run_per_bank(retention.PURGE, DAY, org.bank_a.pk)
    assert Notification.objects.filter(title="ancient").exists()


def staged_batch(bank, at, status, rows=3):
    batch = ImportBatch.objects.create(
        bank=bank, kind=ImportBatch.Kind.STAFF, original_name="staff.csv", status=status, created_at=at
    )
    batch.file.save("staff.csv", ContentFile(b"name,phone\n\xe5\xbc\xa0,13800000000\n"), save=True)
    ImportRow.objects.bulk_create([ImportRow(batch=batch, row_number=n + 2, data={"phone": "13800000000"}) for n in range(rows)])
    return batch


def test_staged_rows_and_files_of_finished_uploads_go_pending_ones_stay(two_zones):
    org = two_zones
    old_a, new_a = around(org.cut_a)
    old_b, new_b = around(org.cut_b)
    gone_a = staged_batch(org.bank_a, old_a, ImportBatch.Status.APPLIED)
    kept_a = staged_batch(org.bank_a, new_a, ImportBatch.Status.APPLIED)
    pending_a = staged_batch(org.bank_a, old_a - datetime.timedelta(days=40), ImportBatch.Status.VALIDATED)
    gone_b = staged_batch(org.bank_b, old_b, ImportBatch.Status.REJECTED)
    kept_b = staged_batch(org.bank_b, new_b, ImportBatch.Status.REJECTED)
    files = {batch.pk: batch.file.name for batch in (gone_a, kept_a, pending_a, gone_b, kept_b)}

    run_per_bank(retention.PURGE, DAY)

    for batch, kept in ((gone_a, False), (kept_a, True), (pending_a, True), (gone_b, False), (kept_b, True)):
        batch.refresh_from_db()
        assert ImportRow.objects.filter(batch=batch).count() == (3 if kept else 0), batch.pk
        assert bool(batch.file) is kept and default_storage.exists(files[batch.pk]) is kept, batch.pk
        assert batch.total_rows == 0 and batch.original_name == "staff.csv"  # the batch's own record stays


def feed_load(bank, at, status=FeedLoad.Status.LOADED):
    load = FeedLoad.objects.create(
        bank=bank, source_system="CBS", feed="customers", business_date=DAY, original_name="c.csv", sha256="0" * 64, status=status
    )
    FeedLoad.objects.filter(pk=load.pk).update(created_at=at)
    load.refresh_from_db()
    load.file.save("c.csv", ContentFile("王伟,13800000000\n".encode()), save=True)
    FeedError.objects.bulk_create(
        [FeedError(load=load, row_number=n + 2, field="phone", value="1380000000x", reason="bad") for n in range(2)]
    )
    return load


def test_feed_errors_and_feed_files_go_after_their_keep_days(two_zones):
    org = two_zones
    gone = feed_load(org.bank_b, around(org.cut_b)[0])
    kept = feed_load(org.bank_b, around(org.cut_b)[1])
    running = feed_load(org.bank_b, around(org.cut_b)[0] - datetime.timedelta(days=5), FeedLoad.Status.RUNNING)
    other_bank = feed_load(org.bank_a, around(org.cut_a)[1])  # bank A keeps 10 days: just inside

    run_per_bank(retention.PURGE, DAY)

    assert FeedError.objects.filter(load=gone).count() == 0
    assert all(FeedError.objects.filter(load=load).count() == 2 for load in (kept, running, other_bank))
    gone.refresh_from_db()
    kept.refresh_from_db()
    assert not gone.file and gone.rows_read == 0 and FeedLoad.objects.filter(pk=gone.pk).exists()
    assert kept.file and default_storage.exists(kept.file.name)
    run = JobRun.objects.get(job=retention.DATA_PURGE, bank_id=org.bank_b.pk, business_date=DAY)
    assert (run.counts["feed_errors"], run.counts["feed_files"]) == (2, 1)


def test_a_rerun_for_the_same_date_changes_nothing_more(two_zones):
    org = two_zones
    notify(org.admin, org.bank_a.pk, around(org.cut_a)[0], "A old")
    first = run_per_bank(retention.PURGE, DAY, org.bank_a.pk)
    notify(org.admin, org.bank_a.pk, around(org.cut_a)[0], "A old again")
    again = run_per_bank(retention.PURGE, DAY, org.bank_a.pk)
    assert again["job_run"] == first["job_run"]
    assert Notification.objects.filter(title="A old again").exists()


def test_the_nightly_jobs_are_scheduled_in_utc_and_only_the_clean_up_is_a_banks_to_start(db):
    rows = {row.task: row for row in PeriodicTask.objects.select_related("crontab")}
    names = ["ocrm.tasks.purge_old_data", "ocrm.tasks.maintain_partitions", "ocrm.tasks.backup_database"]
    for name in names:
        assert rows[name].enabled and str(rows[name].crontab.timezone) == "UTC", name
    app.loader.import_default_modules()
    assert set(names) <= set(app.tasks)
    # The partition job and the backup touch every bank at once: a bank's administrator never starts them.
    assert jobs.JOBS[retention.DATA_PURGE].startable
    assert not jobs.JOBS["partition_maintenance"].startable and not jobs.JOBS["backup"].startable
