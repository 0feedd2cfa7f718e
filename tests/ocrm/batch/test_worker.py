"""The batch layer on a real Celery worker: scheduled jobs run end to end, and a worker
killed (SIGKILL) in the middle of a job loses nothing and doubles nothing: late
acknowledgement hands the message to a new worker once the visibility timeout passes,
job_run resumes the same JobRun, and the job continues from its last committed chunk.

The jobs are slowed down with OCRM_BATCH_CHUNK_DELAY (seconds per chunk, honoured by
ocrm/batch/jobs.py) so that the test can kill the worker while a job is half done."""

import datetime
import importlib
import pkgutil

import pytest
from django.contrib.auth.hashers import make_password
from django.db.models import Count

from ocrm.audit.models import AuditLog
from ocrm.batch import jobs
from ocrm.batch.models import JobRun
from ocrm.celery import app
from ocrm.notifications.models import Notification
from sysadmin.accounts import jobs as password_jobs
from sysadmin.accounts.tasks import send_password_expiry_notices
from sysadmin.audit import services as jobs_services
from sysadmin.audit.tasks import purge_audit_log
from sysadmin.org.models import Staff
from sysadmin.parameters import services as parameters
from tests.support.waiting import wait_for

pytestmark = pytest.mark.worker

TODAY = jobs.today()
VISIBILITY_TIMEOUT = "5"
CHUNK = 50
MARK = "test.worker"


def run_of(job, bank_id, business_date=TODAY):
    return JobRun.objects.filter(job=job, business_date=business_date, bank_id=bank_id).order_by("-id").first()


def local_today(bank):
    """The business date a scheduled run gives the bank: today at its head office (Shanghai, Hong Kong)."""
    return jobs.today(bank.pk)


def finished_entries(job):
    """{run id: audit detail} of the entries that report a job's results."""
    run_ids = [str(pk) for pk in JobRun.objects.filter(job=job).values_list("pk", flat=True)]
    entries = AuditLog.objects.filter(
        action=AuditLog.Action.JOB, object_type="ocrm.jobrun", object_id__in=run_ids, detail__event="finished"
    )
    return [(int(e.object_id), e.detail) for e in entries.order_by("object_id")]


def snapshot(job):
    return sorted(
        JobRun.objects.filter(job=job).values_list("pk", "bank_id", "status", "attempts", "counts"), key=lambda row: row[0]
    )


# --- data --------------------------------------------------------------------------------


def plant(bank_id, days_old, n):
    at = datetime.datetime.combine(TODAY, datetime.time(1), tzinfo=datetime.UTC) - datetime.timedelta(days=days_old)
    AuditLog.objects.bulk_create(
        [
            AuditLog(at=at, bank_id=bank_id, action=AuditLog.Action.OTHER, object_type=MARK, object_id=str(days_old))
            for _ in range(n)
        ],
        batch_size=2000,
    )


def planted(bank_id, days_old):
    return AuditLog.objects.filter(object_type=MARK, bank_id=bank_id, object_id=str(days_old)).count()


def retention_data(org):
    parameters.set_value("audit.retention_days", 365)
    parameters.set_value("audit.retention_days", 30, bank=org.bank_a)
    plant(org.bank_a.pk, 40, 12 * CHUNK)  # to go: twelve chunks
    plant(org.bank_a.pk, 29, 5)
    plant(org.bank_b.pk, 400, 30)
    plant(org.bank_b.pk, 40, 8)
    plant(None, 400, 4)


def expiring_staff(org):
    """Bank A: 600 staff whose password expires in 3 days, 40 far from it; bank B: 20 due."""
    password = make_password("Unused-Pass-2026!")

    def staff(prefix, branch, n, days_ago):
        changed = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=datetime.UTC) - datetime.timedelta(days=days_ago)
        Staff.objects.bulk_create(
            [
                Staff(
                    username=f"{prefix}{i:04d}",
                    password=password,
                    bank=branch.bank,
                    branch=branch,
                    language="en",
                    must_change_password=False,
                    password_changed_at=changed,
                )
                for i in range(n)
            ]
        )

    Staff.objects.update(password_changed_at=datetime.datetime.now(datetime.UTC))  # the fixture's own staff: not due
    staff("due.a.", org.a_sh, 12 * CHUNK, 87)
    staff("later.a.", org.a_bj, 40, 30)
    staff("due.b.", org.b_hk, 20, 85)


def notices_of(prefix, business_date=TODAY):
    return Notification.objects.filter(
        recipient__username__startswith=prefix, dedupe_key=f"password-expiry:{business_date.isoformat()}"
    )


# --- end to end ----------------------------------------------------------------------------


def test_a_worker_runs_the_scheduled_jobs_as_beat_sends_them(celery_worker, org):
    retention_data(org)
    expiring_staff(org)

    # Beat sends both without arguments: all banks, each for its own local today.
    purge = purge_audit_log.delay()
    notices = send_password_expiry_notices.delay()

    assert purge.get(timeout=90)["status"] == JobRun.Status.SUCCEEDED
    assert notices.get(timeout=90)["status"] == JobRun.Status.SUCCEEDED
    assert (planted(org.bank_a.pk, 40), planted(org.bank_a.pk, 29)) == (0, 5)
    assert (planted(org.bank_b.pk, 400), planted(org.bank_b.pk, 40), planted(None, 400)) == (0, 8, 0)
    outer = run_of(jobs_services.AUDIT_RETENTION, None)
    assert outer.task_id == purge.id and outer.counts == {"deleted_without_bank": 4, "banks": 2}
    bank_a = run_of(jobs_services.AUDIT_RETENTION, org.bank_a.pk, local_today(org.bank_a))
    assert bank_a.counts == {"deleted": 12 * CHUNK} and bank_a.task_id == purge.id
    a_day, b_day = local_today(org.bank_a), local_today(org.bank_b)
    assert notices_of("due.a.", a_day).count() == 12 * CHUNK and notices_of("due.b.", b_day).count() == 20
    assert not Notification.objects.filter(recipient__username__startswith="later.a.").exists()
    assert run_of(password_jobs.PASSWORD_EXPIRY_NOTICES, org.bank_a.pk, a_day).counts == {"notified": 12 * CHUNK}


# --- the killed worker ---------------------------------------------------------------------


def kill_mid_job_and_rerun(celery_worker_factory, org, task, job, watch_bank_id):
    """Start the job on a slowed-down worker, SIGKILL that worker once the watched bank's
    run has committed some chunks (but not all), start a fresh worker and wait until the
    redelivered message has finished the job. Returns the watched run as the kill left it."""
    env = {"CELERY_VISIBILITY_TIMEOUT": VISIBILITY_TIMEOUT, "OCRM_BATCH_CHUNK_SIZE": str(CHUNK)}
    first = celery_worker_factory(OCRM_BATCH_CHUNK_DELAY="0.4", **env)
    result = task.delay(business_date=TODAY.isoformat())

    def half_done():
        run = run_of(job, watch_bank_id)
        return run if run is not None and 2 * CHUNK <= run.progress_done < run.progress_total else None

    wait_for(half_done, "the job to commit a few chunks", timeout=60, interval=0.05)
    first.kill()
    at_kill = run_of(job, watch_bank_id)
    assert at_kill.status == JobRun.Status.RUNNING and at_kill.attempts == 1
    assert 2 * CHUNK <= at_kill.progress_done < at_kill.progress_total

    second = celery_worker_factory(**env)

    def finished():
        outer = run_of(job, None)
        return outer if outer.status == JobRun.Status.SUCCEEDED else None

    outer = wait_for(finished, "the redelivered job to finish", timeout=120)
    assert outer.attempts == 2, "the same JobRun was resumed by the redelivered message"
    assert outer.task_id == result.id
    return at_kill, second


def test_a_killed_retention_job_resumes_with_nothing_lost_and_nothing_doubled(celery_worker_factory, org):
    retention_data(org)
    at_kill, _ = kill_mid_job_and_rerun(celery_worker_factory, org, purge_audit_log, jobs_services.AUDIT_RETENTION, org.bank_a.pk)
    # What the run said at the kill is exactly what had been committed.
    assert at_kill.counts["deleted"] == at_kill.progress_done

    # Nothing lost: every row past retention is gone, and only those.
    assert (planted(org.bank_a.pk, 40), planted(org.bank_a.pk, 29)) == (0, 5)
    assert (planted(org.bank_b.pk, 400), planted(org.bank_b.pk, 40), planted(None, 400)) == (0, 8, 0)
    # Nothing doubled: the killed bank run was resumed (attempt 2), not run again beside it,
    # and its count adds up across both attempts to exactly the rows it deleted.
    bank_a = run_of(jobs_services.AUDIT_RETENTION, org.bank_a.pk)
    bank_b = run_of(jobs_services.AUDIT_RETENTION, org.bank_b.pk)
    assert (bank_a.pk, bank_a.status, bank_a.attempts) == (at_kill.pk, JobRun.Status.SUCCEEDED, 2)
    assert bank_a.counts == {"deleted": 12 * CHUNK}
    assert (bank_b.status, bank_b.attempts, bank_b.counts) == (JobRun.Status.SUCCEEDED, 1, {"deleted": 30})
    assert JobRun.objects.filter(job=jobs_services.AUDIT_RETENTION).count() == 3
    entries = finished_entries(jobs_services.AUDIT_RETENTION)
    assert [(pk, detail["deleted"]) for pk, detail in entries] == sorted(
        [(run_of(jobs_services.AUDIT_RETENTION, None).pk, 4), (bank_a.pk, 12 * CHUNK), (bank_b.pk, 30)]
    )

    # The same business date again, after success: nothing more happens.
    before = (snapshot(jobs_services.AUDIT_RETENTION), entries, AuditLog.objects.filter(object_type=MARK).count())
    assert purge_audit_log.delay(business_date=TODAY.isoformat()).get(timeout=60)["status"] == "succeeded"
    after = (
        snapshot(jobs_services.AUDIT_RETENTION),
        finished_entries(jobs_services.AUDIT_RETENTION),
        AuditLog.objects.filter(object_type=MARK).count(),
    )
    assert after == before


def test_killed_notices_job_resumes_with_each_notice_sent_exactly_once(celery_worker_factory, org):
    expiring_staff(org)
    at_kill, _ = kill_mid_job_and_rerun(
        celery_worker_factory, org, send_password_expiry_notices, password_jobs.PASSWORD_EXPIRY_NOTICES, org.bank_a.pk
    )
    assert at_kill.counts["notified"] == at_kill.progress_done

    # Every due staff member holds exactly one notice for the date; nobody else holds one.
    per_recipient = notices_of("due.a.").values("recipient").annotate(n=Count("id"))
    assert per_recipient.count() == 12 * CHUNK
    assert {row["n"] for row in per_recipient} == {1}
    assert notices_of("due.b.").count() == 20
    assert not notices_of("later.a.").exists()
    assert Notification.objects.count() == 12 * CHUNK + 20
    bank_a = run_of(password_jobs.PASSWORD_EXPIRY_NOTICES, org.bank_a.pk)
    assert (bank_a.pk, bank_a.attempts, bank_a.counts) == (at_kill.pk, 2, {"notified": 12 * CHUNK})

    before = (snapshot(password_jobs.PASSWORD_EXPIRY_NOTICES), Notification.objects.count())
    result = send_password_expiry_notices.delay(business_date=TODAY.isoformat()).get(timeout=60)
    assert result["status"] == "succeeded"
    assert (snapshot(password_jobs.PASSWORD_EXPIRY_NOTICES), Notification.objects.count()) == before


def test_every_seeded_beat_schedule_names_a_registered_task():
    """A schedule whose task name no worker knows fails silently every night: check the names
    the data migrations seed against the tasks Celery discovers."""

    app.loader.import_default_modules()
    seeded = []
    for package in ("ocrm.migrations", "customers.migrations", "sysadmin.migrations"):
        for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            module = importlib.import_module(f"{package}.{info.name}")
            for name in ("SCHEDULE", "SCHEDULES", "INBOX_SCHEDULE"):
                value = getattr(module, name, None)
                seeded += value if isinstance(value, list) else [value] if value else []
    assert len(seeded) >= 9
    unknown = [spec["task"] for spec in seeded if spec["task"] not in app.tasks]
    assert not unknown
