"""The batch kernel: every Celery job body runs inside `job_run(...)`, which records a
JobRun (start, end, status, counts, progress, error report) that operators watch.

Rules every job keeps (DESIGN §5):
* idempotent per run key (job + bank + business date + whatever makes it the same run):
  a rerun of a succeeded key does nothing more; a rerun of a failed or interrupted one
  (a killed worker: late acknowledgement hands the message out again) starts again on
  the same JobRun row and must not double anything: write in one transaction, or with
  upserts keyed by natural keys;
* set-based: move rows with SQL, report progress per chunk, not per row;
* chunked jobs commit each chunk together with its progress and counts (call advance()/
  add() inside the chunk's transaction.atomic()): after a kill the JobRun then says
  exactly what was committed, and the rerun's add() continues from there.

One worker at a time runs a given JobRun: the body holds a PostgreSQL session advisory
lock on the row, which dies with the worker's connection. A duplicate delivery of the
same run (the Redis broker hands an unacknowledged message out again once the visibility
timeout passes, even when its worker is alive and still busy) finds the lock taken and
returns at once with already_done (and running_elsewhere) set; the task then retries
later rather than finish, in case the holder is a worker that just died.

Tasks do not call job_run themselves: they derive from ocrm.batch.tasks.BatchTask, which
adds the task id, the held-elsewhere retry and the already-done return:

    @shared_task(bind=True, base=BatchTask, name="myapp.tasks.my_job")
    def my_job(self, bank_id, business_date):
        return self.run_once("my_job", partial(services.my_job, bank_id), bank_id=bank_id, business_date=business_date)

and the job body reports through the RunHandle it is given:

    def my_job(bank_id, run):
        run.set_total(n)
        ...
        run.advance(chunk_size)
        run.count(loaded=123, rejected=4)
"""

import contextlib
import datetime
import logging
import os
import sys
import traceback

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from ocrm.batch.models import JobRun
from ocrm.errors import DomainError, messages_of

logger = logging.getLogger("ocrm.batch.runs")


# Advisory-lock key spaces of the batch kernel: "OCRM" in the high 32 bits of the
# per-run session lock (key = base + JobRun id); a two-int4 pair for the per-key
# transaction lock that serialises finding or creating a run.
RUN_LOCK_BASE = 0x4F43524D << 32


KEY_LOCK_NAMESPACE = 0x4F43


# Set-based jobs join and sort millions of rows: with the server's default work_mem (4 MB) every
# hash join of a million accounts spills to disk in dozens of batches.
WORK_MEM = os.environ.get("OCRM_BATCH_WORK_MEM") or "256MB"


def give_memory(cursor):
    """Inside a transaction: let its sorts and hash joins use WORK_MEM each (until it ends)."""
    cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])


class RunHandle:
    """What a job body uses to report on itself. Each write is one UPDATE of the JobRun
    row on the job's own connection: outside a transaction it is visible at once; inside
    a chunk's transaction.atomic() it commits (or rolls back) with that chunk's work."""

    def __init__(self, run, already_done=False, running_elsewhere=False):
        self.run = run
        self.already_done = already_done
        # Another live worker holds this run right now (a duplicate delivery).
        self.running_elsewhere = running_elsewhere

    @property
    def id(self):
        return self.run.pk

    def set_total(self, total):
        self.run.progress_total = total
        JobRun.objects.filter(pk=self.run.pk).update(progress_total=total)

    def advance(self, done=1):
        self.run.progress_done += done
        JobRun.objects.filter(pk=self.run.pk).update(progress_done=F("progress_done") + done)

    def set_progress(self, done):
        self.run.progress_done = done
        JobRun.objects.filter(pk=self.run.pk).update(progress_done=done)

    def count(self, **counts):
        """Set named counts (read, loaded, rejected, ...); the last value wins."""
        self.run.counts = {**self.run.counts, **counts}
        JobRun.objects.filter(pk=self.run.pk).update(counts=self.run.counts)

    def add(self, **increments):
        """Add to named counts; they accumulate across attempts of the same run, so a
        rerun after a killed worker continues from what the killed attempt committed."""
        counts = dict(self.run.counts)
        for name, value in increments.items():
            counts[name] = counts.get(name, 0) + value
        self.count(**counts)

    def add_error(self, text):
        self.run.error_report = (self.run.error_report + "\n" + text).strip()
        JobRun.objects.filter(pk=self.run.pk).update(error_report=self.run.error_report)

    def summary(self):
        return {"job_run": self.run.pk, "status": self.run.status, "counts": self.run.counts}

    def part(self, start, span):
        """The stretch [start, start + span] of this run's progress bar, for a step that reports
        its progress in its own units (a feed load measures bytes, the matching after it records)."""
        return RunPart(self, start, span)


class RunPart:
    """What RunHandle.part returns: set_total/set_progress in the step's own units move the run's
    bar within its stretch; everything else (counts, errors) is the run's own."""

    def __init__(self, handle, start, span):
        self.handle, self.start, self.span, self.total = handle, start, span, 0

    def set_total(self, total):
        self.total = total

    def set_progress(self, done):
        share = min(max(done, 0), self.total) / self.total if self.total else 1
        self.handle.set_progress(self.start + round(self.span * share))

    def advance(self, done=1):
        raise NotImplementedError("a part of a run sets its progress (set_progress), it does not advance it")

    def __getattr__(self, name):
        return getattr(self.handle, name)


# Errors whose message is written for people (ocrm.batch.jobs.JobError is a DomainError; an app may
# append its own): the error report shows their text. Any
# other exception is a fault: the report gives a translated reason, the traceback goes to the
# log and to error_trace (platform operators only).
READABLE_ERRORS = [DomainError, ValidationError, PermissionDenied]


# Called with each failed run once it is saved (ocrm.batch.failures tells the people who watch jobs).
_failure_listeners = []


def on_failure(listener):
    if listener not in _failure_listeners:
        _failure_listeners.append(listener)


def reason_of(exc):
    """The text for people of a failure, or "" for a fault (the page then says so in general terms)."""
    if isinstance(exc, tuple(READABLE_ERRORS)):
        return " ".join(messages_of(exc))
    return ""


def run_key(job, bank_id=None, business_date=None, extra=""):
    date = business_date.isoformat() if isinstance(business_date, datetime.date) else (business_date or "")
    return f"{job}|{bank_id or ''}|{date}|{extra}"


def lock_run(run_pk):
    """Try to take the session advisory lock of one JobRun (never waits).

    A worker that dies with its machine sends no FIN: its PostgreSQL session, and the lock,
    would live until TCP keepalive notices (two hours by default). Short keepalives for
    this session bring that down to about a minute and a half, well inside the broker's
    visibility timeout, so the redelivered message finds the lock free."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(%s), set_config('tcp_keepalives_idle', '60', false), "
            "set_config('tcp_keepalives_interval', '10', false), set_config('tcp_keepalives_count', '3', false)",
            [RUN_LOCK_BASE + run_pk],
        )
        return cursor.fetchone()[0]


def unlock_run(run_pk):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [RUN_LOCK_BASE + run_pk])
    except DatabaseError:  # the connection is gone, and the lock with it
        logger.warning("could not release the lock of job run %s", run_pk, exc_info=True)


@contextlib.contextmanager
def job_run(job, *, bank_id=None, business_date=None, key_extra="", task_id="", triggered_by=None, run_id=None):  # noqa: C901 - the run-lock protocol in one place: find or create, lock, resume, finish, fail, unlock
    """Record one run of `job`. Re-entering with the same key resumes the same JobRun
    (a redelivered message after a killed worker) or, when it already succeeded, or
    while another live worker is running it, yields a handle with already_done=True so
    the job can return at once. `run_id` names a row created beforehand (a queued run
    started from the jobs page); it is resumed or skipped by the same rules."""
    if isinstance(business_date, str) and business_date:
        business_date = datetime.date.fromisoformat(business_date)
    key = run_key(job, bank_id, business_date, key_extra)
    locked_pk = None
    try:
        with transaction.atomic():
            # Two deliveries arriving together must not both create a row for the key.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [KEY_LOCK_NAMESPACE, key])
            if run_id is not None:
                run = JobRun.objects.select_for_update().get(pk=run_id)
            else:
                run = JobRun.objects.select_for_update().filter(job=job, key=key).order_by("-created_at", "-id").first()
            if run is not None and run.status == JobRun.Status.SUCCEEDED:
                handle = RunHandle(run, already_done=True)
            elif run is not None and not lock_run(run.pk):
                handle = RunHandle(run, already_done=True, running_elsewhere=True)
            else:
                if run is not None:
                    locked_pk = run.pk
                else:
                    # created_at read here (not the field's default) so a job sees the same clock as its run.
                    run = JobRun(
                        job=job,
                        key=key,
                        bank_id=bank_id,
                        business_date=business_date,
                        triggered_by=triggered_by,
                        created_at=timezone.now(),
                    )
                run.status = JobRun.Status.RUNNING
                run.started_at = timezone.now()
                run.finished_at = None
                run.progress_done = 0
                run.error_report = ""
                run.error_trace = ""
                run.attempts += 1
                run.task_id = task_id or run.task_id
                run.save()
                if locked_pk is None:  # a new row: nobody else can hold its lock
                    lock_run(run.pk)
                    locked_pk = run.pk
                handle = RunHandle(run)
    except BaseException:
        if locked_pk is not None:
            unlock_run(locked_pk)
        raise
    if handle.already_done:
        if handle.running_elsewhere:
            logger.info("job %s: run %s is running on another worker; this delivery does nothing", job, run.pk)
        yield handle
        return
    try:
        yield handle
    except Exception:
        run.refresh_from_db()
        run.status = JobRun.Status.FAILED
        run.finished_at = timezone.now()
        reason = reason_of(sys.exc_info()[1])
        if reason and reason not in run.error_report:  # a task may have added it already (run.add_error)
            run.error_report = (run.error_report + "\n" + reason).strip()[-20000:]
        run.error_trace = traceback.format_exc(limit=8)[-20000:]
        run.save(update_fields=["status", "finished_at", "error_report", "error_trace"])
        logger.exception("job %s failed (run %s)", job, run.pk)
        for listener in _failure_listeners:
            try:
                listener(run)
            except Exception:  # telling people must never hide the job's own error
                logger.exception("job %s: the failure notice of run %s failed", job, run.pk)
        raise
    else:
        run.refresh_from_db()
        run.status = JobRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        if run.progress_total is not None:
            run.progress_done = run.progress_total
        run.save(update_fields=["status", "finished_at", "progress_done"])
    finally:
        unlock_run(locked_pk)
