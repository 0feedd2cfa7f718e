"""The registry of batch jobs (the jobs page lists and starts them), starting a job by hand,
and what every job body shares: chunking, business dates, one audit entry per run.

Each app registers its jobs from its AppConfig.ready() (`register(JobSpec(...), count_labels)`);
the kernel never names an app's job. The tasks that run them derive from
ocrm.batch.tasks.BatchTask; jobs that run each bank on its own use ocrm.batch.per_bank.

Shape every job keeps (DESIGN §5, ocrm/batch/runs.py):
* one JobRun per run key (job, bank, business date, whatever else makes it the same run);
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

import datetime
import logging
import os
import time
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm import tenants
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.batch.runs import READABLE_ERRORS, run_key
from ocrm.celery import app
from ocrm.errors import DomainError

logger = logging.getLogger("ocrm.jobs")


@dataclass(frozen=True)
class JobSpec:
    name: str
    label: str
    task: str
    startable: bool = False  # administrators may run it now for a business date


JOBS = {}  # name -> JobSpec, filled by register()


# How the jobs page names the counts jobs report: every count a job reports needs a label here
# (the kernel's below, each app's through register(); tests/ocrm/batch/test_counters.py checks
# every literal count name in the code). A name without one is shown humanised, untranslated.
COUNT_LABELS = {
    "banks": _("banks"),
    "rows": _("rows"),
    "valid": _("valid"),
    "invalid": _("invalid"),
    "created": _("created"),
    "updated": _("updated"),
    "changed": _("changed"),
    "unchanged": _("unchanged"),
    "removed": _("removed"),
    # a background export's outcome (ocrm.lists.tasks)
    "done": _("done"),
    "failed": _("failed"),
    "cancelled": _("cancelled"),
}


def register(spec=None, count_labels=None, readable_errors=()):
    """Add an app's job (called from its AppConfig.ready() through the area's register_jobs()),
    how the jobs page names the counts it reports, and the app's exceptions whose message is
    written for people (the failed run's error report shows it; any other exception is a fault
    whose traceback only the platform operators see)."""
    if spec is not None:
        JOBS[spec.name] = spec
    COUNT_LABELS.update(count_labels or {})
    for error in readable_errors:
        if error not in READABLE_ERRORS:
            READABLE_ERRORS.append(error)


# The kernel's own jobs (ocrm.lists.background: JOB_NAME, PURGE_JOB_NAME; they run when asked or on
# their own schedule, so the jobs page only names them).
register(JobSpec("export", _("Background export"), "ocrm.tasks.run_export"))
register(JobSpec("export_purge", _("Export file clean-up"), "ocrm.tasks.purge_export_files"))


def count_label(name):
    return COUNT_LABELS.get(name) or name.replace("_", " ")


def job_label(name):
    spec = JOBS.get(name)
    return spec.label if spec else name


class JobError(DomainError):
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


def today(bank_id=None):
    """Today as the bank's head office sees it (UTC without a bank: beat runs in UTC)."""
    return timezone.now().astimezone(tenants.bank_zone(bank_id) if bank_id is not None else datetime.UTC).date()


def last_ended_business_date(bank_id=None):
    """The latest business date that has ended for the bank (its local yesterday): every job can
    run for it, the nightly ones included (they refuse a day that has not ended)."""
    return today(bank_id) - datetime.timedelta(days=1)


def latest_business_date(bank_id=None):
    """The latest business date a run may work for: the bank's local today; for all banks the
    latest of their local todays (a date that has begun for one bank at least)."""
    if bank_id is not None:
        return today(bank_id)
    bank_ids = tenants.tenant_model().objects.values_list("pk", flat=True)
    return max([today(), *(today(bank) for bank in bank_ids)])


def parse_business_date(value):
    """A date, an ISO string (what a Celery message carries) or None (today in UTC)."""
    if value in (None, ""):
        return today()
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def check_not_future(business_date, latest):
    """A run never works for a date that has not begun (a retention cut-off would move
    forward and delete too much; notices and history rows would carry a date to come)."""
    if business_date > latest:
        raise JobError(_("The business date %(date)s lies in the future.") % {"date": business_date.isoformat()})


def audit_once(run, bank_id, detail):
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
    spec = JOBS.get(job)
    if spec is None or not spec.startable:
        raise JobError(_("This job cannot be started from the jobs page."))
    business_date = parse_business_date(business_date)
    if not user.is_superuser:
        bank_id = user.bank_id
        if bank_id is None:
            raise JobError(_("Your account belongs to no bank."))
    check_not_future(business_date, latest_business_date(bank_id))
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
            error_report=str(_("The job could not be queued: the message broker did not answer. Try again later.")),
            error_trace=f"{type(exc).__name__}: {exc}"[:2000],
        )
