"""The registry of batch jobs (the jobs page lists and starts them), starting a job by hand,
and the per-bank fan-out that scheduled jobs share.

Each app registers its jobs from its AppConfig.ready() (`register(JobSpec(...), count_labels)`);
the kernel never names an app's job.

Shape every job keeps (DESIGN §5, ocrm/batch/runs/runs.py):
* one JobRun per job, bank and business date; a run for all banks (bank_id=None)
  handles the rows that belong to no bank itself and runs each bank in its own sub-run,
  so each bank's operators see (only) their bank's run, one bank's failure does not stop
  the others, and a rerun skips the banks that already succeeded;
* set-based chunks: each chunk is one SQL statement (or one bulk INSERT) committed
  together with the run's progress and counts, so a killed worker loses at most the
  chunk in flight (rolled back) and the rerun (late acknowledgement) continues from what
  was committed: nothing lost, nothing doubled;
* idempotent per business date: a rerun for the same date changes nothing more.

Two environment variables tune the chunks (read when a job starts, by the worker):
  OCRM_BATCH_CHUNK_SIZE   rows per chunk (default 5000)
  OCRM_BATCH_CHUNK_DELAY  seconds to pause after each chunk (default 0): eases the load
                          on a busy database, and lets tests kill a worker mid-job.
"""

import contextlib
import datetime
import logging
import os
import time
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.batch.runs import job_run, run_key
from ocrm.tenants import tenant_model

logger = logging.getLogger("ocrm.jobs")


@dataclass(frozen=True)
class JobSpec:
    name: str
    label: str
    task: str
    startable: bool = False  # administrators may run it now for a business date


JOBS = {}  # name -> JobSpec, filled by register()


# How the jobs page names the counts jobs report (other keys are shown as they are).
COUNT_LABELS = {
    "banks": _("banks"),
    "rows": _("rows"),
    "valid": _("valid"),
    "invalid": _("invalid"),
    "created": _("created"),
    "updated": _("updated"),
    "unchanged": _("unchanged"),
}


def register(spec, count_labels=None):
    """Add an app's job (called from its AppConfig.ready()) and how the jobs page names the
    counts it reports."""
    JOBS[spec.name] = spec
    COUNT_LABELS.update(count_labels or {})


def job_label(name):
    spec = JOBS.get(name)
    return spec.label if spec else name


class JobError(Exception):
    """A job cannot start or finish; the message is meant for operators."""


class RunHeldElsewhere(JobError):
    """A bank's run is held by another worker right now: the task retries later (if that
    worker died, its lock is gone by then and the run resumes)."""


def chunk_size():
    return max(1, int(os.environ.get("OCRM_BATCH_CHUNK_SIZE") or 5000))


def chunk_pause():
    delay = float(os.environ.get("OCRM_BATCH_CHUNK_DELAY") or 0)
    if delay > 0:
        time.sleep(delay)


def today():
    """The business date a scheduled run works for: today in UTC (beat runs in UTC)."""
    return timezone.now().astimezone(datetime.UTC).date()


def parse_business_date(value):
    """A date, an ISO string (what a Celery message carries) or None (today)."""
    if value in (None, ""):
        return today()
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def _check_business_date(business_date):
    if business_date > today():
        # A future date would move the retention cut-off forward and delete too much.
        raise JobError(_("The business date %(date)s lies in the future.") % {"date": business_date.isoformat()})


def _utc_midnight(day):
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


@contextlib.contextmanager
def _run_or(run, job, bank_id, business_date):
    """The caller's run handle, or a run of our own when a service is called directly."""
    if run is not None:
        yield run
        return
    with job_run(job, bank_id=bank_id, business_date=business_date) as own:
        yield own


def _each_bank(run, job, business_date, scope):
    """The all-banks shape: rows without a bank in `run` itself, then each bank in its own
    sub-run (skipped when that bank's run for the date already succeeded). Progress of
    `run` counts scopes; `scope(handle, bank_id, count_suffix, track_progress)` does the work."""
    bank_ids = list(tenant_model().objects.order_by("pk").values_list("pk", flat=True))
    run.set_total(len(bank_ids) + 1)
    scope(run, None, "_without_bank", False)
    run.advance(1)
    failed, held = [], []
    for bank_id in bank_ids:
        sub_id = None
        try:
            with job_run(job, bank_id=bank_id, business_date=business_date, triggered_by=run.run.triggered_by) as sub:
                sub_id = sub.id
                if sub.running_elsewhere:
                    held.append(f"#{sub.id}")
                elif not sub.already_done:
                    scope(sub, bank_id, "", True)
        except Exception:  # recorded in the sub-run's own error report; the other banks go on
            failed.append(f"#{sub_id}" if sub_id else f"bank id {bank_id}")
            logger.exception("job %s failed for bank %s", job, bank_id)
        run.advance(1)
    run.count(banks=len(bank_ids))
    if failed:
        # Run numbers, not bank names: this all-banks run is visible to every bank's operators.
        raise JobError(_("Sub-runs failed: %(runs)s. See their error reports.") % {"runs": ", ".join(failed)})
    if held:
        raise RunHeldElsewhere(
            _("Sub-runs %(runs)s are running on another worker; this run is retried later.") % {"runs": ", ".join(held)}
        )


def _audit_once(run, bank_id, detail):
    """One audit entry per run and bank, however often the run is resumed."""
    with transaction.atomic():
        exists = AuditLog.objects.filter(
            action=AuditLog.Action.JOB,
            object_type="ocrm.jobrun",
            object_id=str(run.id),
            bank_id=bank_id,
            detail__event="finished",
        ).exists()
        if not exists:
            audit.record(
                AuditLog.Action.JOB,
                run.run,
                actor=run.run.triggered_by,
                bank_id=bank_id,
                object_repr=f"{job_label(run.run.job)} {run.run.business_date or ''}".strip(),
                detail={"event": "finished", "job": run.run.job, "business_date": run.run.business_date, **detail},
            )


def start_job(user, job, business_date, bank_id=None):
    """Queue `job` for a business date now, for the user's bank (a superuser may name any
    bank, or none for all banks). Creates the JobRun at once (status queued) so the page
    shows it; the worker picks that row up. Returns the JobRun."""
    from ocrm.celery import app

    spec = JOBS.get(job)
    if spec is None or not spec.startable:
        raise JobError(_("This job cannot be started from the jobs page."))
    business_date = parse_business_date(business_date)
    _check_business_date(business_date)
    if not user.is_superuser:
        bank_id = user.bank_id
        if bank_id is None:
            raise JobError(_("Your account belongs to no bank."))
    key = run_key(job, bank_id, business_date)
    task_id = str(uuid.uuid4())
    with transaction.atomic():
        active = (
            JobRun.objects.select_for_update()
            .filter(job=job, key=key, status__in=[JobRun.Status.QUEUED, JobRun.Status.RUNNING])
            .first()
        )
        if active is not None:
            raise JobError(
                _("Run #%(id)s of this job for %(date)s is already queued or running.")
                % {"id": active.pk, "date": business_date.isoformat()}
            )
        run = JobRun.objects.create(
            job=job,
            key=key,
            bank_id=bank_id,
            business_date=business_date,
            status=JobRun.Status.QUEUED,
            triggered_by=user,
            task_id=task_id,
        )
        audit.record(
            AuditLog.Action.JOB,
            run,
            actor=user,
            bank_id=bank_id,
            object_repr=f"{spec.label} {business_date.isoformat()}",
            detail={"event": "started", "job": job, "business_date": business_date, "started_by_hand": True},
        )
        kwargs = {"business_date": business_date.isoformat(), "bank_id": bank_id, "run_id": run.pk}
        transaction.on_commit(lambda: _enqueue(app, spec, kwargs, task_id, run.pk))
    run.refresh_from_db()
    return run


def _enqueue(app, spec, kwargs, task_id, run_pk):
    try:
        app.send_task(spec.task, kwargs=kwargs, task_id=task_id)
    except Exception as exc:  # the broker is down: the run must not sit "queued" for ever
        logger.exception("could not queue job run %s", run_pk)
        JobRun.objects.filter(pk=run_pk).update(
            status=JobRun.Status.FAILED,
            finished_at=timezone.now(),
            error_report=f"Could not be queued: {type(exc).__name__}: {exc}"[:2000],
        )
