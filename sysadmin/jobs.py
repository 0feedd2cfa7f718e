"""The batch jobs of sysadmin (the services behind sysadmin/tasks.py) and the registry
of jobs the jobs page lists and starts.

Shape every job here keeps (DESIGN §5, ocrm/batch.py):
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

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from ocrm import audit
from ocrm.batch import job_run, run_key
from ocrm.models import AuditLog, JobRun, Notification
from ocrm.notifications import notify

from . import parameters

logger = logging.getLogger("ocrm.jobs")

AUDIT_RETENTION = "audit_retention"
PASSWORD_EXPIRY_NOTICES = "password_expiry_notices"
IMPORT_INBOX = "org_import_inbox"  # the job name sysadmin.imports.inbox records


@dataclass(frozen=True)
class JobSpec:
    name: str
    label: str
    task: str
    startable: bool = False  # administrators may run it now for a business date


JOBS = {
    spec.name: spec
    for spec in [
        JobSpec(AUDIT_RETENTION, _("Audit-log retention clean-up"), "sysadmin.tasks.purge_audit_log", startable=True),
        JobSpec(
            PASSWORD_EXPIRY_NOTICES, _("Password-expiry notices"), "sysadmin.tasks.send_password_expiry_notices", startable=True
        ),
        JobSpec(IMPORT_INBOX, _("Organisation inbox import"), "sysadmin.imports.tasks.import_inbox"),
        # customers.lifecycle.JOB (named here as text: sysadmin does not import customers)
        JobSpec(
            "customers_lifecycle", _("Nightly lifecycle and rating"), "customers.tasks_lifecycle.run_lifecycle", startable=True
        ),
    ]
}

# How the jobs page names the counts jobs report (other keys are shown as they are).
COUNT_LABELS = {
    "deleted": _("deleted"),
    "deleted_without_bank": _("deleted (no bank)"),
    "notified": _("notified"),
    "notified_without_bank": _("notified (no bank)"),
    "banks": _("banks"),
    "rows": _("rows"),
    "valid": _("valid"),
    "invalid": _("invalid"),
    "created": _("created"),
    "updated": _("updated"),
    "unchanged": _("unchanged"),
    "customers": _("customers"),
    "stage_changes": _("stage changes"),
    "rating_changes": _("rating changes"),
    "customers_updated": _("customers updated"),
    "history_rows_written": _("history rows written"),
    "managers_notified": _("managers notified"),
}


def register(spec, count_labels=None):
    """Add a job of a higher app (called from its AppConfig.ready(); sysadmin never imports
    those apps) and how the jobs page names the counts it reports."""
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


# --- chunking -------------------------------------------------------------------------------


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
    from .models import Bank

    bank_ids = list(Bank.objects.order_by("pk").values_list("pk", flat=True))
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


# --- audit-log retention --------------------------------------------------------------------

_PURGE_SQL = """
    WITH doomed AS (
        SELECT id FROM {table} WHERE {scope} AND at < %s LIMIT %s
    )
    DELETE FROM {table} AS entry USING doomed WHERE entry.id = doomed.id
"""
_COUNT_SQL = "SELECT count(*) FROM {table} WHERE {scope} AND at < %s"


def purge_audit_log(business_date, bank_id=None, *, run=None):
    """Delete audit entries older than audit.retention_days before the business date:
    the bank's own value of the parameter, else the global one. With bank_id=None every
    bank in its own sub-run (entries without a bank use the global value).

    Entries from before midnight UTC of (business date - retention days) go; a value of 0
    keeps everything (the clean-up is off). Writes one audit entry per bank with the count."""
    business_date = parse_business_date(business_date)
    _check_business_date(business_date)
    with _run_or(run, AUDIT_RETENTION, bank_id, business_date) as run:
        if run.already_done:
            return run.summary()
        if bank_id is None:
            _each_bank(
                run,
                AUDIT_RETENTION,
                business_date,
                lambda handle, bank, suffix, track: _purge_scope(handle, business_date, bank, suffix, track),
            )
        else:
            _purge_scope(run, business_date, bank_id, "", True)
    return run.summary()  # after the block: a run of our own is marked finished by then


def _purge_scope(run, business_date, bank_id, suffix, track_progress):
    count_name = f"deleted{suffix}"
    days = parameters.get("audit.retention_days", bank_id)
    if days <= 0:
        run.add(**{count_name: 0})
        _audit_once(run, bank_id, {"deleted": 0, "retention_days": days, "note": "retention off"})
        return
    cutoff = _utc_midnight(business_date - datetime.timedelta(days=days))
    table = connection.ops.quote_name(AuditLog._meta.db_table)
    scope_sql, scope_params = ("bank_id = %s", [bank_id]) if bank_id is not None else ("bank_id IS NULL", [])
    size = chunk_size()
    if track_progress:
        with connection.cursor() as cursor:
            cursor.execute(_COUNT_SQL.format(table=table, scope=scope_sql), [*scope_params, cutoff])
            run.set_total(cursor.fetchone()[0])
    run.add(**{count_name: 0})
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_PURGE_SQL.format(table=table, scope=scope_sql), [*scope_params, cutoff, size])
                deleted = cursor.rowcount
            if deleted:
                run.add(**{count_name: deleted})
                if track_progress:
                    run.advance(deleted)
        if deleted < size:
            break
        chunk_pause()
    _audit_once(
        run,
        bank_id,
        {
            "deleted": run.run.counts.get(count_name, 0),
            "retention_days": days,
            "cutoff": cutoff,
        },
    )


# --- password-expiry notices ---------------------------------------------------------------


def send_password_expiry_notices(business_date, bank_id=None, *, run=None):
    """Notify active staff whose password expires within password.expiry_notice_days of
    the business date (both parameters per bank): one notification per staff member per
    business date, so a rerun for the same date sends nothing new."""
    business_date = parse_business_date(business_date)
    _check_business_date(business_date)
    with _run_or(run, PASSWORD_EXPIRY_NOTICES, bank_id, business_date) as run:
        if run.already_done:
            return run.summary()
        if bank_id is None:
            _each_bank(
                run,
                PASSWORD_EXPIRY_NOTICES,
                business_date,
                lambda handle, bank, suffix, track: _notice_scope(handle, business_date, bank, suffix, track),
            )
        else:
            _notice_scope(run, business_date, bank_id, "", True)
    return run.summary()


def expiry_notice_candidates(business_date, bank_id):
    """Staff of the bank (None: staff without a bank) whose password expires on a day from
    the business date to notice_days later (UTC days). One indexed range query."""
    from .models import Staff

    expiry_days = parameters.get("password.expiry_days", bank_id)
    notice_days = parameters.get("password.expiry_notice_days", bank_id)
    if expiry_days <= 0 or notice_days < 0:  # passwords never expire there
        return Staff.objects.none(), expiry_days
    first_day = _utc_midnight(business_date)
    # Expires at changed_at + expiry_days; that moment must fall in [first_day, first_day + notice_days + 1).
    changed_from = first_day - datetime.timedelta(days=expiry_days)
    changed_before = changed_from + datetime.timedelta(days=notice_days + 1)
    qs = Staff.objects.filter(
        is_active=True,
        password_changed_at__gte=changed_from,
        password_changed_at__lt=changed_before,
    ).exclude(status=Staff.Status.LEFT)
    qs = qs.filter(bank_id=bank_id) if bank_id is not None else qs.filter(bank__isnull=True)
    return qs, expiry_days


def _notice_scope(run, business_date, bank_id, suffix, track_progress):
    count_name = f"notified{suffix}"
    candidates, expiry_days = expiry_notice_candidates(business_date, bank_id)
    if track_progress:
        run.set_total(candidates.count())
    run.add(**{count_name: 0})
    dedupe_key = f"password-expiry:{business_date.isoformat()}"
    link = reverse("password_change")
    size = chunk_size()

    def body(staff):
        expires = staff.password_changed_at + datetime.timedelta(days=expiry_days)
        local = timezone.localtime(expires, timezone=_zone(staff.effective_timezone))
        return _(
            "Your password expires on %(date)s. Change it before then; afterwards you must change it at your next log-in."
        ) % {"date": date_format(local.date(), "DATE_FORMAT")}

    last_pk = 0
    while True:
        chunk = list(
            candidates.filter(pk__gt=last_pk)
            .order_by("pk")
            .select_related("branch")
            .only("id", "bank_id", "language", "time_zone", "password_changed_at", "branch__timezone")[:size]
        )
        if not chunk:
            break
        with transaction.atomic():
            sent = notify(
                chunk, _("Your password expires soon"), body, link=link, level=Notification.Level.WARNING, dedupe_key=dedupe_key
            )
            run.add(**{count_name: sent})
            if track_progress:
                run.advance(len(chunk))
        last_pk = chunk[-1].pk
        if len(chunk) < size:
            break
        chunk_pause()
    _audit_once(run, bank_id, {"notified": run.run.counts.get(count_name, 0), "expiry_days": expiry_days})


def _zone(name):
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC


# --- starting a job from the jobs page -------------------------------------------------------


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
