"""The sweeper of runs left behind (beat, every 5 minutes: `ocrm.tasks.sweep_stale_runs`).

A run whose worker died comes back by itself: its message was acknowledged late, so the broker
hands it out again once the visibility timeout has passed, and job_run resumes the same run. That
fails only when the message itself is gone: a broker restarted without persistence (the embedded
Redis before it kept an append-only file), a purged queue, a queue no worker reads. Such a run
would say "running" or "queued" for ever. A run is stale when

* no live worker holds it (its PostgreSQL advisory lock is free: the lock dies with its worker);
* its message is neither waiting in the broker nor handed out and unacknowledged there;
* it has waited longer than STALE_AFTER (a message is sent after the run's transaction commits,
  and a run queued by a page carries its task id only once a worker starts it: those wait
  QUEUED_STALE_AFTER, as long as the longest queue is drained in).

A stale run of a job the jobs page can start (per bank, for a business date) is queued again
(same run, new message); any other is failed with the reason, for a person to start it again.
"""

import datetime
import json
import logging
import uuid

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from ocrm.batch import jobs
from ocrm.batch.models import JobRun
from ocrm.batch.runs import lock_run, unlock_run
from ocrm.celery import app

logger = logging.getLogger("ocrm.batch.sweeper")

VISIBILITY_TIMEOUT = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
STALE_AFTER = datetime.timedelta(seconds=VISIBILITY_TIMEOUT + 300)
QUEUED_STALE_AFTER = datetime.timedelta(hours=12)
# kombu's Redis transport keeps a queue's priorities in lists of their own, and the handed-out,
# unacknowledged messages in one hash.
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
UNACKED_KEY = "unacked"


def task_ids_in_broker():
    """The task ids of every message waiting in our queue or handed out and not yet acknowledged."""
    ids = set()
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with app.connection_for_read() as connection:
        client = connection.default_channel.client
        raw = [item for suffix in PRIORITY_SUFFIXES for item in client.lrange(queue + suffix, 0, -1)]
        raw += [json.dumps(json.loads(item)[0]) for item in client.hvals(UNACKED_KEY)]
    for item in raw:
        try:
            ids.add(json.loads(item)["headers"]["id"])
        except (ValueError, KeyError, TypeError):
            continue
    return ids


def stale_runs(now=None):
    """The runs left behind (see the module docstring), each locked by this session until the sweep ends."""
    now = now or timezone.now()
    candidates = list(
        JobRun.objects.filter(status=JobRun.Status.RUNNING, started_at__lt=now - STALE_AFTER).order_by("pk")
    ) + list(
        JobRun.objects.filter(status=JobRun.Status.QUEUED, created_at__lt=now - STALE_AFTER)
        .exclude(task_id="", created_at__gte=now - QUEUED_STALE_AFTER)
        .order_by("pk")
    )
    if not candidates:
        return []
    in_broker = task_ids_in_broker()
    found = []
    for run in candidates:
        if run.task_id and run.task_id in in_broker:
            continue  # its message is still there: a worker will take it
        if not lock_run(run.pk):
            continue  # a live worker runs it
        found.append(run)
    return found


def sweep(now=None):
    """Queue again or fail every stale run. Returns {"requeued": [...ids], "failed": [...ids]}."""
    result = {"requeued": [], "failed": []}
    runs, messages = stale_runs(now), []
    try:
        for run in runs:
            spec = jobs.JOBS.get(run.job)
            if spec is not None and spec.startable and run.bank_id is not None and run.business_date is not None:
                messages.append(_requeue(run, spec))
                result["requeued"].append(run.pk)
            else:
                _fail(run)
                result["failed"].append(run.pk)
    finally:
        for run in runs:
            unlock_run(run.pk)
    for task, kwargs, task_id in messages:  # once unlocked: the worker that takes one must find its run free
        app.send_task(task, kwargs=kwargs, task_id=task_id)
    if runs:
        logger.warning("stale job runs: queued again %s, failed %s", result["requeued"], result["failed"])
    return result


def _requeue(run, spec):
    """The run waits again (a new message's task id); returns that message (task, kwargs, task id)."""
    task_id = str(uuid.uuid4())
    JobRun.objects.filter(pk=run.pk).update(status=JobRun.Status.QUEUED, task_id=task_id)
    return spec.task, {"business_date": run.business_date.isoformat(), "bank_id": run.bank_id, "run_id": run.pk}, task_id


def _fail(run):
    JobRun.objects.filter(pk=run.pk).update(
        status=JobRun.Status.FAILED,
        finished_at=timezone.now(),
        error_report=(
            run.error_report
            + "\n"
            + _(
                "The worker running this job stopped and the job was not handed out again (its message was lost). "
                "What it had committed is kept; start it again."
            )
        ).strip(),
    )
