"""The batch kernel: every Celery job body runs inside `job_run(...)`, which records a
JobRun (start, end, status, counts, progress, error report) that operators watch.

Rules every job keeps (DESIGN §5):
* idempotent per run key (job + bank + business date + whatever makes it the same run):
  a rerun of a succeeded key does nothing more; a rerun of a failed or interrupted one
  (a killed worker: late acknowledgement hands the message out again) starts again on
  the same JobRun row and must not double anything: write in one transaction, or with
  upserts keyed by natural keys;
* set-based: move rows with SQL, report progress per chunk, not per row.

    @shared_task(bind=True)
    def my_job(self, bank_id, business_date):
        with job_run("my_job", bank_id=bank_id, business_date=business_date, task_id=self.request.id) as run:
            if run.already_done:
                return run.summary()
            run.set_total(n)
            ...
            run.advance(chunk_size)
            run.count(loaded=123, rejected=4)
"""

import contextlib
import datetime
import logging
import traceback

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import JobRun

logger = logging.getLogger("ocrm.batch")


class RunHandle:
    """What a job body uses to report on itself. Progress writes go straight to the
    database (outside the job's own transaction) so the jobs page sees them live."""

    def __init__(self, run, already_done=False):
        self.run = run
        self.already_done = already_done

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

    def add_error(self, text):
        self.run.error_report = (self.run.error_report + "\n" + text).strip()
        JobRun.objects.filter(pk=self.run.pk).update(error_report=self.run.error_report)

    def summary(self):
        return {"job_run": self.run.pk, "status": self.run.status, "counts": self.run.counts}


def run_key(job, bank_id=None, business_date=None, extra=""):
    date = business_date.isoformat() if isinstance(business_date, datetime.date) else (business_date or "")
    return f"{job}|{bank_id or ''}|{date}|{extra}"


@contextlib.contextmanager
def job_run(job, *, bank_id=None, business_date=None, key_extra="", task_id="", triggered_by=None, run_id=None):
    """Record one run of `job`. Re-entering with the same key resumes the same JobRun
    (a redelivered message after a killed worker) or, when it already succeeded,
    yields a handle with already_done=True so the job can return at once."""
    if isinstance(business_date, str) and business_date:
        business_date = datetime.date.fromisoformat(business_date)
    key = run_key(job, bank_id, business_date, key_extra)
    with transaction.atomic():
        if run_id is not None:
            run = JobRun.objects.select_for_update().get(pk=run_id)
        else:
            run = (
                JobRun.objects.select_for_update()
                .filter(job=job, key=key)
                .order_by("-created_at", "-id")
                .first()
            )
        if run is not None and run.status == JobRun.Status.SUCCEEDED and run_id is None:
            handle = RunHandle(run, already_done=True)
        else:
            if run is None:
                run = JobRun(job=job, key=key, bank_id=bank_id, business_date=business_date,
                             triggered_by=triggered_by)
            run.status = JobRun.Status.RUNNING
            run.started_at = timezone.now()
            run.finished_at = None
            run.progress_done = 0
            run.error_report = ""
            run.attempts += 1
            run.task_id = task_id or run.task_id
            run.save()
            handle = RunHandle(run)
    if handle.already_done:
        yield handle
        return
    try:
        yield handle
    except Exception:
        run.refresh_from_db()
        run.status = JobRun.Status.FAILED
        run.finished_at = timezone.now()
        run.error_report = (run.error_report + "\n" + traceback.format_exc(limit=8)).strip()[-20000:]
        run.save(update_fields=["status", "finished_at", "error_report"])
        logger.exception("job %s failed (run %s)", job, run.pk)
        raise
    else:
        run.refresh_from_db()
        run.status = JobRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        if run.progress_total is not None:
            run.progress_done = run.progress_total
        run.save(update_fields=["status", "finished_at", "progress_done"])
