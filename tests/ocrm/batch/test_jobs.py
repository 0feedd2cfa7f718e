"""Batch jobs as services: audit-log retention per bank, password-expiry notices, their
idempotency per business date, the batch kernel's run lock, the beat schedule rows, and
starting a job by hand. (The real worker runs them in tests/ocrm/batch/test_worker.py.)"""

import datetime
import importlib
import threading

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.formats import date_format
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from ocrm.audit.models import AuditLog
from ocrm.batch import jobs
from ocrm.batch.models import JobRun
from ocrm.batch.runs import RUN_LOCK_BASE, job_run, run_key
from ocrm.celery import app
from ocrm.notifications.models import Notification
from sysadmin.accounts import jobs as password_jobs
from sysadmin.audit import services as jobs_services
from sysadmin.audit.tasks import purge_audit_log
from sysadmin.imports import inbox as imports_inbox
from sysadmin.org.models import Staff
from sysadmin.parameters import services as parameters
from tests.factories import make_staff
from tests.ocrm.batch.workers import run_held_elsewhere

pytestmark = pytest.mark.django_db

TODAY = jobs.today()
MARK = "test.retention"  # object_type of the rows these tests plant


def plant(bank, days_old, n, business_date=TODAY):
    """n audit rows `days_old` days before the business date's midnight UTC (plus 1 hour)."""
    at = datetime.datetime.combine(business_date, datetime.time(1), tzinfo=datetime.UTC) - datetime.timedelta(days=days_old)
    AuditLog.objects.bulk_create(
        [
            AuditLog(
                at=at, bank_id=getattr(bank, "pk", bank), action=AuditLog.Action.OTHER, object_type=MARK, object_id=str(days_old)
            )
            for _ in range(n)
        ]
    )


def planted(bank, days_old=None):
    qs = AuditLog.objects.filter(object_type=MARK, bank_id=getattr(bank, "pk", bank))
    return qs.filter(object_id=str(days_old)).count() if days_old is not None else qs.count()


def job_entries(run):
    """The audit entries that report a run's result."""
    return list(
        AuditLog.objects.filter(
            action=AuditLog.Action.JOB, object_type="ocrm.jobrun", object_id=str(run.pk), detail__event="finished"
        )
    )


def runs(job, business_date=TODAY):
    return {run.bank_id: run for run in JobRun.objects.filter(job=job, business_date=business_date)}


@pytest.fixture
def retention(org):
    """Bank A keeps 30 days, the global default is 365 (bank B has no value of its own)."""
    parameters.set_value("audit.retention_days", 365)
    parameters.set_value("audit.retention_days", 30, bank=org.bank_a)
    plant(org.bank_a, 40, 12)
    plant(org.bank_a, 29, 5)
    plant(org.bank_b, 40, 7)
    plant(org.bank_b, 400, 3)
    plant(None, 400, 4)
    plant(None, 40, 2)
    return org


# --- audit-log retention --------------------------------------------------------------------


def test_retention_uses_each_banks_parameter_and_the_global_default(retention):
    org = retention
    summary = jobs_services.purge_audit_log(TODAY)

    assert summary["status"] == JobRun.Status.SUCCEEDED
    # Bank A: 30 days -> the 40-day-old rows go, the 29-day-old stay.
    assert (planted(org.bank_a, 40), planted(org.bank_a, 29)) == (0, 5)
    # Bank B: the global 365 days -> 40 days stays, 400 days goes.
    assert (planted(org.bank_b, 40), planted(org.bank_b, 400)) == (7, 0)
    # Rows without a bank: the global value as well.
    assert (planted(None, 400), planted(None, 40)) == (0, 2)

    by_bank = runs(jobs_services.AUDIT_RETENTION)
    assert set(by_bank) == {None, org.bank_a.pk, org.bank_b.pk}
    assert by_bank[None].counts == {"deleted_without_bank": 4, "banks": 2}
    assert by_bank[org.bank_a.pk].counts == {"deleted": 12}
    assert by_bank[org.bank_b.pk].counts == {"deleted": 3}
    assert all(run.status == JobRun.Status.SUCCEEDED and run.attempts == 1 for run in by_bank.values())
    assert (by_bank[org.bank_a.pk].progress_done, by_bank[org.bank_a.pk].progress_total) == (12, 12)

    # One audit entry per bank run, with the count, in that bank's log.
    (entry_a,) = job_entries(by_bank[org.bank_a.pk])
    assert (entry_a.bank_id, entry_a.detail["deleted"], entry_a.detail["retention_days"]) == (org.bank_a.pk, 12, 30)
    (entry_b,) = job_entries(by_bank[org.bank_b.pk])
    assert (entry_b.bank_id, entry_b.detail["deleted"], entry_b.detail["retention_days"]) == (org.bank_b.pk, 3, 365)
    (entry_none,) = job_entries(by_bank[None])
    assert (entry_none.bank_id, entry_none.detail["deleted"]) == (None, 4)


def test_rerun_for_the_same_business_date_changes_nothing_more(retention):
    org = retention
    jobs_services.purge_audit_log(TODAY)
    before = (AuditLog.objects.count(), list(JobRun.objects.values_list("pk", "attempts", "counts").order_by("pk")))

    again = jobs_services.purge_audit_log(TODAY)

    assert again["status"] == JobRun.Status.SUCCEEDED
    after = (AuditLog.objects.count(), list(JobRun.objects.values_list("pk", "attempts", "counts").order_by("pk")))
    assert after == before
    # A run forced for the same date (a new run key) finds nothing more to delete either.
    with job_run(jobs_services.AUDIT_RETENTION, bank_id=org.bank_a.pk, business_date=TODAY, key_extra="forced") as run:
        jobs_services.purge_audit_log(TODAY, bank_id=org.bank_a.pk, run=run)
    assert run.run.counts == {"deleted": 0}
    assert planted(org.bank_a) == 5


def test_retention_for_one_bank_touches_only_that_bank(retention):
    org = retention
    jobs_services.purge_audit_log(TODAY, bank_id=org.bank_b.pk)
    assert planted(org.bank_b) == 7
    assert planted(org.bank_a) == 17 and planted(None) == 6
    assert list(JobRun.objects.values_list("bank_id", "counts")) == [(org.bank_b.pk, {"deleted": 3})]


def test_retention_zero_keeps_everything(org):
    parameters.set_value("audit.retention_days", 0, bank=org.bank_a)
    plant(org.bank_a, 4000, 3)
    jobs_services.purge_audit_log(TODAY, bank_id=org.bank_a.pk)
    assert planted(org.bank_a) == 3


def test_retention_works_in_chunks(org, monkeypatch):
    monkeypatch.setenv("OCRM_BATCH_CHUNK_SIZE", "7")
    parameters.set_value("audit.retention_days", 10, bank=org.bank_a)
    plant(org.bank_a, 11, 50)
    plant(org.bank_a, 9, 3)
    with CountingDeletes() as deletes:
        jobs_services.purge_audit_log(TODAY, bank_id=org.bank_a.pk)
    assert planted(org.bank_a) == 3
    run = JobRun.objects.get()
    assert run.counts == {"deleted": 50}
    assert (run.progress_done, run.progress_total) == (50, 50)
    assert deletes.count == 8  # ceil(50 / 7) set-based statements, not one per row


def test_a_future_business_date_is_refused(org):
    """A future date would move the cut-off forward and delete rows that must be kept."""
    parameters.set_value("audit.retention_days", 10, bank=org.bank_a)
    plant(org.bank_a, 9, 2)
    tomorrow = jobs.today(org.bank_a.pk) + datetime.timedelta(days=1)  # tomorrow at bank A's head office
    with pytest.raises(jobs.JobError):
        jobs_services.purge_audit_log(tomorrow, bank_id=org.bank_a.pk)
    with pytest.raises(jobs.JobError):
        purge_audit_log.run(business_date=tomorrow.isoformat(), bank_id=org.bank_a.pk)
    assert planted(org.bank_a) == 2
    run = JobRun.objects.get()  # the task's run says why
    assert run.status == JobRun.Status.FAILED and "future" in run.error_report


class CountingDeletes:
    """Counts DELETE statements on the audit table."""

    def __enter__(self):
        self.count = 0
        self._wrapper = connection.execute_wrapper(self._wrap)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)

    def _wrap(self, execute, sql, params, many, context):
        if sql.lstrip().startswith("WITH doomed"):
            self.count += 1
        return execute(sql, params, many, context)


# --- password-expiry notices ---------------------------------------------------------------


def changed_days_ago(staff, days, business_date=TODAY):
    at = datetime.datetime.combine(business_date, datetime.time(12), tzinfo=datetime.UTC) - datetime.timedelta(days=days)
    Staff.objects.filter(pk=staff.pk).update(password_changed_at=at)


@pytest.fixture
def expiring(org):
    """Expiry 90 days (default), notices 7 days ahead. Bank B passwords never expire."""
    parameters.set_value("password.expiry_days", 0, bank=org.bank_b)
    everybody = Staff.objects.all()
    for staff in everybody:
        changed_days_ago(staff, 10)  # far from expiry
    due = {
        "in3": make_staff("due.in3", branch=org.a_sh, language="en"),
        "today": make_staff("due.today", branch=org.a_bj),
        "in7": make_staff("due.in7", branch=org.a_ldn, language="en"),
    }
    changed_days_ago(due["in3"], 87)
    changed_days_ago(due["today"], 90)
    changed_days_ago(due["in7"], 83)
    not_due = {
        "in8": make_staff("nd.in8", branch=org.a_sh),
        "expired": make_staff("nd.expired", branch=org.a_sh),
        "inactive": make_staff("nd.inactive", branch=org.a_sh, is_active=False),
        "left": make_staff("nd.left", branch=org.a_sh, status=Staff.Status.LEFT),
        "bank_b": make_staff("nd.bankb", branch=org.b_hk),
    }
    changed_days_ago(not_due["in8"], 82)
    changed_days_ago(not_due["expired"], 91)
    for key in ("inactive", "left", "bank_b"):
        changed_days_ago(not_due[key], 87)
    return due, not_due


def test_notices_go_to_staff_whose_password_expires_within_the_notice_days(org, expiring):
    due, not_due = expiring
    password_jobs.send_password_expiry_notices(TODAY)

    notified = set(Notification.objects.values_list("recipient__username", flat=True))
    assert notified == {s.username for s in due.values()}
    note = Notification.objects.get(recipient=due["in3"])
    assert note.dedupe_key == f"password-expiry:{TODAY.isoformat()}"
    assert note.level == Notification.Level.WARNING and note.link == "/accounts/password/change/"
    assert note.bank_id == org.bank_a.pk
    with translation.override("en"):  # the recipient's language
        expires = date_format(TODAY + datetime.timedelta(days=3), "DATE_FORMAT")
    assert expires in note.body and note.title == "Your password expires soon", note.body

    by_bank = runs(password_jobs.PASSWORD_EXPIRY_NOTICES)
    assert by_bank[org.bank_a.pk].counts == {"notified": 3}
    assert by_bank[org.bank_b.pk].counts == {"notified": 0}
    assert by_bank[None].counts == {"notified_without_bank": 0, "banks": 2}
    (entry,) = job_entries(by_bank[org.bank_a.pk])
    assert entry.detail["notified"] == 3 and entry.bank_id == org.bank_a.pk


def test_notices_are_sent_once_per_staff_and_business_date(org, expiring):
    due, not_due = expiring
    password_jobs.send_password_expiry_notices(TODAY)
    # The same date again, even as a separate run, sends nothing new.
    with job_run(password_jobs.PASSWORD_EXPIRY_NOTICES, bank_id=org.bank_a.pk, business_date=TODAY, key_extra="again") as run:
        password_jobs.send_password_expiry_notices(TODAY, bank_id=org.bank_a.pk, run=run)
    assert run.run.counts == {"notified": 0}
    assert Notification.objects.count() == 3
    # Another business date is another day: one more for each staff member inside its window
    # (the day before, "nd.expired" had a day left and "due.in7" was still eight days away).
    password_jobs.send_password_expiry_notices(TODAY - datetime.timedelta(days=1))
    per_staff = {s.username: Notification.objects.filter(recipient=s).count() for s in [*due.values(), not_due["expired"]]}
    assert per_staff == {"due.in3": 2, "due.today": 2, "due.in7": 1, "nd.expired": 1}


def test_notices_respect_the_banks_notice_days(org, expiring):
    due, _ = expiring
    parameters.set_value("password.expiry_notice_days", 3, bank=org.bank_a)
    password_jobs.send_password_expiry_notices(TODAY, bank_id=org.bank_a.pk)
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"due.in3", "due.today"}


# --- the batch kernel ------------------------------------------------------------------


def test_a_resumed_run_keeps_its_committed_counts_and_counts_the_attempt(org):
    with pytest.raises(RuntimeError):
        with job_run("kernel_test", bank_id=org.bank_a.pk, business_date=TODAY) as run:
            run.add(done=5)
            raise RuntimeError("boom")
    failed = JobRun.objects.get()
    assert (failed.status, failed.attempts, failed.counts) == (JobRun.Status.FAILED, 1, {"done": 5})
    # A fault: people read a translated reason in general terms, the traceback is the operators' (issue 12.2).
    assert failed.error_report == "" and "unexpected error" in str(failed.failure_reason)
    assert "boom" in failed.error_trace and "Traceback" in failed.error_trace

    with job_run("kernel_test", bank_id=org.bank_a.pk, business_date=TODAY) as run:
        run.add(done=3)
    resumed = JobRun.objects.get()
    assert (resumed.pk, resumed.status, resumed.attempts) == (failed.pk, JobRun.Status.SUCCEEDED, 2)
    assert resumed.counts == {"done": 8} and resumed.error_report == ""


def test_a_part_of_a_run_moves_the_bar_within_its_stretch_and_counts_on_the_run(org):
    """A feed load counts bytes; the matching after it counts records within the last third."""
    with job_run("kernel_test", bank_id=org.bank_a.pk, business_date=TODAY) as run:
        run.set_total(300)
        run.set_progress(200)
        matching = run.part(200, 100)
        matching.set_total(40)
        matching.set_progress(10)
        assert JobRun.objects.get().progress_done == 225
        matching.set_progress(40)
        assert JobRun.objects.get().progress_done == 300
        matching.count(matched=7)
        with pytest.raises(NotImplementedError):
            matching.advance(1)
    finished = JobRun.objects.get()
    assert (finished.progress_total, finished.progress_done, finished.counts) == (300, 300, {"matched": 7})


def test_a_succeeded_run_named_by_id_is_not_run_again(org):
    with job_run("kernel_test", business_date=TODAY) as first:
        pass
    with job_run("kernel_test", business_date=TODAY, run_id=first.id) as again:
        assert again.already_done
    assert JobRun.objects.get().attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_run_held_by_a_live_worker_is_left_alone(org):
    """A duplicate delivery (visibility timeout passed while the job still runs) must
    neither run the job a second time nor touch the run row."""
    with run_held_elsewhere("kernel_test", bank_id=org.bank_a.pk, business_date=TODAY) as held_id:
        with job_run("kernel_test", bank_id=org.bank_a.pk, business_date=TODAY) as duplicate:
            assert duplicate.already_done and duplicate.running_elsewhere
            assert duplicate.id == held_id
        row = JobRun.objects.get()
        assert (row.status, row.attempts) == (JobRun.Status.RUNNING, 1)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (JobRun.Status.SUCCEEDED, 1)
    # The lock went with the run: a later run of another key on this connection works normally.
    with job_run("kernel_test", bank_id=org.bank_b.pk, business_date=TODAY) as other:
        assert not other.already_done


@pytest.mark.django_db(transaction=True)
def test_an_all_banks_run_waits_for_a_bank_run_held_by_another_worker(retention):
    """Bank A's run is held by a worker (here: a session holding its lock) that then dies:
    the all-banks run does the other banks, retries, and then resumes bank A's run."""

    org = retention
    held_run = JobRun.objects.create(
        job=jobs_services.AUDIT_RETENTION,
        key=run_key(jobs_services.AUDIT_RETENTION, org.bank_a.pk, TODAY),
        bank_id=org.bank_a.pk,
        business_date=TODAY,
        status=JobRun.Status.RUNNING,
        attempts=1,
        started_at=timezone.now(),
    )
    locked, die = threading.Event(), threading.Event()

    def worker_that_dies():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [RUN_LOCK_BASE + held_run.pk])
        locked.set()
        die.wait(20)
        connection.close()  # the session ends, and its lock with it

    thread = threading.Thread(target=worker_that_dies)
    thread.start()
    try:
        assert locked.wait(20)
        with pytest.raises((Retry, jobs.RunHeldElsewhere)):
            purge_audit_log.run(business_date=TODAY.isoformat())
        outer = JobRun.objects.get(job=jobs_services.AUDIT_RETENTION, bank_id=None)
        assert outer.status == JobRun.Status.FAILED and f"#{held_run.pk}" in outer.error_report
        assert planted(org.bank_a, 40) == 12  # left to its holder
        assert planted(org.bank_b, 400) == 0  # the other banks went on
    finally:
        die.set()
        thread.join(20)

    summary = purge_audit_log.run(business_date=TODAY.isoformat())

    assert summary["status"] == JobRun.Status.SUCCEEDED
    held_run.refresh_from_db()
    assert (held_run.status, held_run.attempts, held_run.counts) == (JobRun.Status.SUCCEEDED, 2, {"deleted": 12})
    assert planted(org.bank_a, 40) == 0
    assert JobRun.objects.get(job=jobs_services.AUDIT_RETENTION, bank_id=org.bank_b.pk).attempts == 1


# --- schedules and starting by hand ---------------------------------------------------------


def test_beat_schedules_are_database_rows_in_utc():

    tasks = {t.task: t for t in PeriodicTask.objects.select_related("crontab").filter(enabled=True)}
    expected = {
        "sysadmin.imports.tasks.import_inbox": ("*/5", "*"),
        "sysadmin.tasks.purge_audit_log": ("30", "2"),
        "sysadmin.tasks.send_password_expiry_notices": ("0", "6"),
    }
    for name, (minute, hour) in expected.items():
        crontab = tasks[name].crontab
        assert (crontab.minute, crontab.hour, crontab.day_of_week, str(crontab.timezone)) == (minute, hour, "*", "UTC")
    assert tasks["sysadmin.imports.tasks.import_inbox"].expire_seconds == 270
    # Every scheduled task exists in the worker's registry.
    app.loader.import_default_modules()
    assert set(expected) <= set(app.tasks)

    # The database scheduler (ocrm.monitoring.beat adds only a heartbeat the operator page reads).
    module, _sep, name = settings.CELERY_BEAT_SCHEDULER.partition(":")
    assert issubclass(getattr(importlib.import_module(module), name), DatabaseScheduler)


def test_the_database_scheduler_reads_the_rows():

    scheduler = DatabaseScheduler(app=app, lazy=True)
    # (The scheduler leaves out crontab rows whose hour is far from now: the five-minute one is always in.)
    entry = scheduler.all_as_schedule()["Organisation inbox import"]
    assert entry.task == "sysadmin.imports.tasks.import_inbox"
    assert entry.schedule.minute == set(range(0, 60, 5)) and entry.schedule.hour == set(range(24))
    assert entry.options["expires"] == 270  # a message older than that is dropped, not run


def test_start_job_queues_a_run_for_the_users_bank(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = jobs.start_job(org.admin, jobs_services.AUDIT_RETENTION, TODAY, bank_id=org.bank_b.pk)
    assert len(callbacks) == 1  # the message goes out only once the row is committed
    assert (run.status, run.bank_id, run.triggered_by, run.business_date) == (
        JobRun.Status.QUEUED,
        org.bank_a.pk,
        org.admin,
        TODAY,
    )  # not bank B: an admin works for their own bank
    assert run.key == f"{jobs_services.AUDIT_RETENTION}|{org.bank_a.pk}|{TODAY.isoformat()}|" and run.task_id
    entry = AuditLog.objects.get(action=AuditLog.Action.JOB, object_id=str(run.pk))
    assert entry.actor == org.admin and entry.detail["event"] == "started"

    with pytest.raises(jobs.JobError):  # already queued for that date
        jobs.start_job(org.admin, jobs_services.AUDIT_RETENTION, TODAY)
    with pytest.raises(jobs.JobError):
        jobs.start_job(org.admin, jobs_services.AUDIT_RETENTION, jobs.today(org.bank_a.pk) + datetime.timedelta(days=1))
    with pytest.raises(jobs.JobError):
        jobs.start_job(org.admin, imports_inbox.JOB, TODAY)
    assert JobRun.objects.count() == 1


def test_a_started_run_is_picked_up_by_its_task(org):
    """The task resumes the queued row it was given instead of making another."""
    parameters.set_value("audit.retention_days", 30, bank=org.bank_a)
    plant(org.bank_a, 31, 4)
    run = JobRun.objects.create(
        job=jobs_services.AUDIT_RETENTION,
        key=f"{jobs_services.AUDIT_RETENTION}|{org.bank_a.pk}|{TODAY}|",
        bank_id=org.bank_a.pk,
        business_date=TODAY,
        triggered_by=org.admin,
    )
    summary = purge_audit_log.run(business_date=TODAY.isoformat(), bank_id=org.bank_a.pk, run_id=run.pk)
    assert summary == {"job_run": run.pk, "status": "succeeded", "counts": {"deleted": 4}}
    assert JobRun.objects.count() == 1
    assert job_entries(run)[0].actor == org.admin
    assert timezone.now() - JobRun.objects.get().finished_at < datetime.timedelta(minutes=1)


def test_a_failed_run_is_told_to_who_watches_the_banks_jobs(org, english_staff):
    with pytest.raises(RuntimeError):
        with job_run("kernel_test", bank_id=org.bank_a.pk, business_date=TODAY):
            raise RuntimeError("boom")
    failed = JobRun.objects.get()
    told = Notification.objects.filter(dedupe_key=f"job-failed:{failed.pk}:1")
    watchers = {user.username for user in Staff.objects.filter(bank=org.bank_a) if user.has_perm("sysadmin.view_jobs")}
    assert org.admin.username in watchers and org.manager.username not in watchers
    assert set(told.values_list("recipient__username", flat=True)) == watchers  # never bank B's
    notice = told.get(recipient=org.admin)
    assert notice.title.startswith("A batch job failed") and notice.link == f"/sysadmin/jobs/{failed.pk}/"
    assert "boom" not in notice.body  # the traceback is the operators', not the notice's
