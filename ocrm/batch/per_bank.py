"""Jobs that run each bank on its own: `run_per_bank(job, business_date, bank_id)`.

A `PerBankJob` names its work for one scope (`run_scope(run, scope)`), the banks it covers
and its `BusinessDay`: which date a run works for when nobody names one (the beat sends no
arguments), seen from the bank's own clock - its head office's time zone (ocrm.tenants), or,
where the job says so, each time zone of its branches, each in a run of its own.

* One bank (bank_id given): one run keyed job + bank + business date.
* All banks: an all-banks run (bank_id None) that handles the rows of no bank itself (when
  the job has any) and runs each bank in its own sub-run, with that bank's business date:
  each bank's operators see (only) their bank's run, one bank's failure does not stop the
  others, a rerun skips the banks that already succeeded, and the all-banks run - visible
  to every bank's operators - names failed sub-runs by number, never a bank's name. A
  sub-run held by another live worker is left to it; the all-banks run then fails with
  RunHeldElsewhere and its task retries later.
* The business date: the date given (the jobs page), the same for every bank; else, per
  bank, its local today or local yesterday at the moment the all-banks run was first
  opened (a redelivery after midnight somewhere keeps the dates of the first delivery).
  A job with a "not before" hour (lifecycle: run_local_hour) is scheduled every hour: a
  tick leaves out the banks whose local time has not reached that hour yet, keys its
  all-banks run by the hour, and writes no run at all when no bank is due.
* A date that has not begun for a bank is refused (JobError, in that bank's run).
* A scheduled run (the beat: no bank, no date) leaves out the banks whose administrator switched
  the job off on the Schedules page (JobSchedule); a run started by hand runs regardless.
"""

import contextlib
import dataclasses
import datetime
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm import parameters, tenants
from ocrm.batch.jobs import JobError, RunHeldElsewhere, check_not_future, latest_business_date, parse_business_date
from ocrm.batch.models import JobRun, JobSchedule
from ocrm.batch.runs import job_run, run_key

logger = logging.getLogger("ocrm.batch.per_bank")


@dataclasses.dataclass(frozen=True)
class BusinessDay:
    """Which date a scheduled run works for, seen from the bank's own clock."""

    days_back: int = 0  # 0: the local today, 1: the local yesterday
    # A per-bank parameter: the local hour before which a scheduled tick leaves the bank for a later one.
    not_before_hour: str = ""
    # Each time zone of the bank's branches in a run of its own (their dates differ), not the head office's.
    per_branch_zone: bool = False

    def date_at(self, moment, zone):
        return moment.astimezone(zone).date() - datetime.timedelta(days=self.days_back)

    def due_at(self, moment, zone, bank_id):
        return not self.not_before_hour or moment.astimezone(zone).hour >= parameters.get(self.not_before_hour, bank_id)


LOCAL_TODAY = BusinessDay()
LOCAL_YESTERDAY = BusinessDay(days_back=1)


@dataclasses.dataclass(frozen=True)
class Scope:
    """What one run of a per-bank job works on."""

    bank_id: int | None  # None: the rows that belong to no bank, inside the all-banks run
    business_date: datetime.date
    zone: datetime.tzinfo
    branch_ids: tuple | None = None  # the branches in `zone` (a job per branch zone); None: the whole bank

    @property
    def key_extra(self):
        return f"zone={tenants.zone_key(self.zone)}" if self.branch_ids is not None else ""

    @property
    def count_suffix(self):
        """Counts of the rows of no bank share the all-banks run with its "banks": they carry a suffix."""
        return "_without_bank" if self.bank_id is None else ""

    @property
    def own_run(self):
        """Whether the scope's run is its own (set its total and progress) or the all-banks run's."""
        return self.bank_id is not None

    def day_start(self, day=None):
        """Midnight at the start of `day` (default: the business date) in the scope's zone."""
        return datetime.datetime.combine(day or self.business_date, datetime.time.min, tzinfo=self.zone)


def every_bank():
    return tenants.tenant_model().objects.order_by("pk").values_list("pk", flat=True)


def active_banks():
    """The banks in service (the tenant model's is_active)."""
    return every_bank().filter(is_active=True)


@dataclasses.dataclass(frozen=True)
class PerBankJob:
    name: str
    run_scope: Callable  # (RunHandle, Scope): the work for one bank (or one zone of its branches)
    day: BusinessDay = LOCAL_TODAY
    without_bank: bool = False  # the all-banks run also calls run_scope for the rows of no bank
    banks: Callable[[], Iterable[int]] = every_bank  # the banks an all-banks run covers

    def business_date(self, bank_id, now=None):
        """The date a scheduled run of one bank works for (head-office zone)."""
        return self.day.date_at(now or timezone.now(), tenants.bank_zone(bank_id))


def scopes(job, bank_id=None, business_date=None, now=None, due_only=False):
    """The scopes a run covers: one per bank (job.banks(), or the one bank given), or one per
    time zone of its branches; each with the date given or the bank's own. `due_only` (a
    scheduled tick): only the banks that have not switched the job off (JobSchedule) and whose
    local time has passed the job's not-before hour."""
    now = now or timezone.now()
    found = []
    banks = [bank_id] if bank_id is not None else list(job.banks())
    if due_only:
        switched_off = switched_off_banks(job.name)
        banks = [bank for bank in banks if bank not in switched_off]
    for bank in banks:
        if job.day.per_branch_zone:
            by_zone = defaultdict(list)
            for branch_id, zone in tenants.branch_zones(bank).items():
                by_zone[zone].append(branch_id)
            candidates = [(zone, tuple(ids)) for zone, ids in sorted(by_zone.items(), key=lambda item: tenants.zone_key(item[0]))]
        else:
            candidates = [(tenants.bank_zone(bank), None)]
        for zone, branch_ids in candidates:
            if not due_only or job.day.due_at(now, zone, bank):
                found.append(Scope(bank, business_date or job.day.date_at(now, zone), zone, branch_ids))
    return found


def switched_off_banks(job_name):
    """The banks whose administrator switched the scheduled runs of `job_name` off."""
    return set(JobSchedule.objects.filter(job=job_name, enabled=False).values_list("bank_id", flat=True))


def run_per_bank(job, business_date=None, bank_id=None, *, run=None, run_id=None, task_id="", triggered_by=None):
    """Run `job` for one bank (bank_id) or all of them (see the module docstring) and return
    the run's summary; an all-banks run adds its sub-runs' summaries. `run`: a run the caller
    opened already (the work happens there); `run_id`: a queued run to resume (the jobs page).
    JobError when a scope failed; RunHeldElsewhere when another worker holds a run."""
    date = parse_business_date(business_date) if business_date not in (None, "") else None
    now = timezone.now()
    opened = {"run_id": run_id, "task_id": task_id, "triggered_by": triggered_by}
    if bank_id is not None and not job.day.per_branch_zone:
        (scope,) = scopes(job, bank_id, date, now)
        with _opened(run, job.name, bank_id=bank_id, business_date=scope.business_date, **opened) as own:
            if not own.already_done:
                _run_scope(job, own, scope)
        return own.summary()
    scheduled = date is None and bank_id is None and run is None and run_id is None
    key_extra = ""
    if scheduled and job.day.not_before_hour:
        if not job.without_bank and not _pending(job, scopes(job, now=now, due_only=True)):
            return {"job_run": None, "status": "nothing due", "sub_runs": []}
        key_extra = f"tick {now.astimezone(datetime.UTC):%H}h UTC"  # one all-banks run per hourly tick
    parent_date = date or now.astimezone(datetime.UTC).date()
    with _opened(run, job.name, bank_id=bank_id, business_date=parent_date, key_extra=key_extra, **opened) as parent:
        if parent.already_done:
            return parent.summary()
        if job.without_bank:  # the rows of no bank are worked on for this date in the all-banks run itself
            check_not_future(parent_date, latest_business_date())
        # A redelivered message works with the dates of the first delivery.
        moment = parent.run.created_at if date is None else now
        sub_runs = _fan_out(job, parent, scopes(job, bank_id, date, moment, due_only=scheduled), parent_date, task_id)
    return {**parent.summary(), "sub_runs": sub_runs}


@contextlib.contextmanager
def _opened(run, job, **key):
    """The caller's run, or a run of our own; RunHeldElsewhere when another live worker holds it."""
    if run is not None:
        yield run
        return
    with job_run(job, **key) as own:
        if own.running_elsewhere:
            raise RunHeldElsewhere(_("Run #%(id)s is running on another worker; it is retried later.") % {"id": own.id})
        yield own


def _run_scope(job, run, scope):
    check_not_future(scope.business_date, timezone.now().astimezone(scope.zone).date())
    job.run_scope(run, scope)


def _pending(job, candidates):
    """The scopes whose run has not succeeded yet."""
    keys = {run_key(job.name, s.bank_id, s.business_date, s.key_extra): s for s in candidates}
    done = set(JobRun.objects.filter(job=job.name, key__in=keys, status=JobRun.Status.SUCCEEDED).values_list("key", flat=True))
    return [scope for key, scope in keys.items() if key not in done]


def _fan_out(job, parent, bank_scopes, business_date, task_id):
    """The rows of no bank in `parent` itself, then each scope in its own sub-run. Progress of
    `parent` counts scopes. Returns the sub-runs' summaries."""
    parent.set_total(len(bank_scopes) + (1 if job.without_bank else 0))
    if job.without_bank:
        job.run_scope(parent, Scope(None, business_date, datetime.UTC))
        parent.advance(1)
    summaries, failed, held = [], [], []
    for scope in bank_scopes:
        sub_id = None
        try:
            with job_run(
                job.name,
                bank_id=scope.bank_id,
                business_date=scope.business_date,
                key_extra=scope.key_extra,
                task_id=task_id,
                triggered_by=parent.run.triggered_by,
            ) as sub:
                sub_id = sub.id
                if sub.running_elsewhere:
                    held.append(f"#{sub.id}")
                elif not sub.already_done:
                    _run_scope(job, sub, scope)
            summaries.append({**sub.summary(), "bank_id": scope.bank_id, "business_date": scope.business_date.isoformat()})
        except Exception:  # recorded in the sub-run's own error report; the other banks go on
            failed.append(f"#{sub_id}" if sub_id else f"bank id {scope.bank_id}")
            logger.exception("job %s failed for bank %s", job.name, scope.bank_id)
        parent.advance(1)
    parent.count(banks=len({scope.bank_id for scope in bank_scopes}))
    if failed:
        # Run numbers, not bank names: the all-banks run is visible to every bank's operators.
        raise JobError(_("Sub-runs failed: %(runs)s. See their error reports.") % {"runs": ", ".join(failed)})
    if held:
        raise RunHeldElsewhere(
            _("Sub-runs %(runs)s are running on another worker; this run is retried later.") % {"runs": ", ".join(held)}
        )
    return summaries
