"""The sweeper of runs left behind (finding 11.8): a run whose message is gone is queued again or
failed with a reason; a run a live worker holds, or whose message still waits in the broker, is
left alone."""

import datetime
import uuid

import pytest
from django.utils import timezone

from ocrm.batch import sweeper
from ocrm.batch.models import JobRun
from ocrm.batch.runs import run_key
from ocrm.celery import app
from sysadmin.audit import services as audit_jobs
from tests.ocrm.batch.workers import run_held_elsewhere
from tests.support.waiting import wait_for

LONG_AGO = timezone.now() - sweeper.STALE_AFTER - datetime.timedelta(minutes=1)


def stale_run(job, bank_id=None, business_date=None, status=JobRun.Status.RUNNING, task_id=None):
    return JobRun.objects.create(
        job=job,
        key=run_key(job, bank_id, business_date, uuid.uuid4().hex),
        bank_id=bank_id,
        business_date=business_date,
        status=status,
        started_at=LONG_AGO,
        created_at=LONG_AGO,
        attempts=1,
        task_id=str(uuid.uuid4()) if task_id is None else task_id,
    )


@pytest.mark.worker
def test_stale_runs_are_queued_again_or_failed_and_live_ones_left_alone(org, celery_worker_factory):
    yesterday = timezone.now().date() - datetime.timedelta(days=1)
    lost = stale_run(audit_jobs.AUDIT_RETENTION, org.bank_a.pk, yesterday)  # startable: queued again
    lost_export = stale_run("export", org.bank_a.pk)  # not startable: failed with the reason
    lost_queued = stale_run(audit_jobs.AUDIT_RETENTION, org.bank_b.pk, yesterday, status=JobRun.Status.QUEUED)
    fresh = JobRun.objects.create(job="export", key="fresh", status=JobRun.Status.RUNNING, started_at=timezone.now())
    waiting = stale_run("export", org.bank_b.pk)
    app.send_task("ocrm.tasks.no_such_task", task_id=waiting.task_id)  # its message still waits in the broker
    assert waiting.task_id in sweeper.task_ids_in_broker()
    with run_held_elsewhere("export", bank_id=org.bank_a.pk, key_extra="held") as held_id:
        JobRun.objects.filter(pk=held_id).update(started_at=LONG_AGO)  # old, but its worker lives
        result = sweeper.sweep()
    assert sorted(result["requeued"]) == sorted([lost.pk, lost_queued.pk]) and result["failed"] == [lost_export.pk]

    failed = JobRun.objects.get(pk=lost_export.pk)
    assert failed.status == JobRun.Status.FAILED and "was not handed out again" in failed.error_report
    for untouched in (fresh, waiting):
        assert JobRun.objects.get(pk=untouched.pk).status == JobRun.Status.RUNNING
    assert JobRun.objects.get(pk=held_id).status == JobRun.Status.SUCCEEDED  # its own worker finished it
    requeued = JobRun.objects.get(pk=lost.pk)
    assert requeued.status == JobRun.Status.QUEUED and requeued.task_id in sweeper.task_ids_in_broker()
    assert sweeper.sweep() == {"requeued": [], "failed": []}  # queued again once, not at every sweep

    app.control.purge()  # the unknown task's message; the requeued ones go too: send them again
    JobRun.objects.filter(pk__in=[lost.pk, lost_queued.pk]).update(status=JobRun.Status.RUNNING)
    result = sweeper.sweep()
    assert sorted(result["requeued"]) == sorted([lost.pk, lost_queued.pk])
    celery_worker_factory()
    for run_id in (lost.pk, lost_queued.pk):
        done = wait_for(
            lambda run_id=run_id: JobRun.objects.filter(pk=run_id, status=JobRun.Status.SUCCEEDED).first(), "the run", timeout=90
        )
        assert done.attempts == 2  # the same run resumed, not a second one beside it
