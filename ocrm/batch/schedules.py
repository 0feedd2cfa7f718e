"""Per-bank schedules: a bank's administrator switches the scheduled runs of a per-bank job on or
off for their own bank (JobSchedule), on the jobs area's Schedules page.

The beat's schedules (django-celery-beat PeriodicTask rows) stay global: they start every bank's
runs, so only the platform operator edits them, in Django admin; run_per_bank leaves out the
banks that switched the job off (ocrm.batch.per_bank). Which jobs a bank can switch: the
startable ones (every one of them runs per bank). See docs/jobs.md."""

import dataclasses
import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_celery_beat.models import PeriodicTask

from ocrm import tenants
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.batch import jobs
from ocrm.batch.models import JobSchedule
from ocrm.errors import NotVisible

CHANGE_PERMISSION = "ocrm.change_jobschedule"


@dataclasses.dataclass
class BankSchedule:
    """One job as one bank sees its schedule."""

    spec: jobs.JobSpec
    enabled: bool  # the bank's own switch
    timing: str  # when the global schedule starts it, in words (empty: not scheduled)
    paused_globally: bool  # the platform operator disabled the global schedule


def schedulable_jobs():
    return [spec for spec in jobs.JOBS.values() if spec.startable]


def for_bank(bank_id):
    """Every schedulable job with the bank's switch and the global timing, in the bank's zone."""
    switches = dict(JobSchedule.objects.filter(bank_id=bank_id).values_list("job", "enabled"))
    beat = {}
    for task in PeriodicTask.objects.select_related("crontab", "interval").order_by("name"):
        beat.setdefault(task.task, task)
    zone = tenants.bank_zone(bank_id)
    found = []
    for spec in sorted(schedulable_jobs(), key=lambda spec: str(spec.label)):
        task = beat.get(spec.task)
        found.append(
            BankSchedule(
                spec=spec,
                enabled=switches.get(spec.name, True),
                timing=describe(task, zone) if task is not None else "",
                paused_globally=task is not None and not task.enabled,
            )
        )
    return found


def describe(task, zone):
    """When a beat row starts its task, in words and in the bank's local time (crontab rows are UTC)."""
    if task.interval_id:
        return _("every %(n)s %(unit)s") % {"n": task.interval.every, "unit": task.interval.get_period_display()}
    crontab = task.crontab
    if crontab is None:
        return ""
    if crontab.minute.isdigit() and crontab.hour.isdigit():
        moment = datetime.datetime.combine(
            timezone.now().date(), datetime.time(int(crontab.hour), int(crontab.minute)), tzinfo=datetime.UTC
        )
        return _("daily at %(time)s your bank's time") % {"time": moment.astimezone(zone).strftime("%H:%M")}
    if crontab.minute.isdigit() and crontab.hour == "*":
        return _("every hour at minute %(minute)s") % {"minute": crontab.minute}
    return _("on a custom schedule (%(minute)s %(hour)s, UTC)") % {"minute": crontab.minute, "hour": crontab.hour}


@transaction.atomic
def set_enabled(actor, job, enabled):
    """Switch the scheduled runs of `job` on or off for the actor's bank; audited in that bank."""
    if not actor.has_perm(CHANGE_PERMISSION) or actor.bank_id is None:
        raise PermissionDenied(_("You may not change the job schedules."))
    spec = jobs.JOBS.get(job)
    if spec is None or not spec.startable:
        raise NotVisible
    schedule, _created = JobSchedule.objects.select_for_update().get_or_create(bank_id=actor.bank_id, job=job)
    if schedule.enabled == enabled and not _created:
        return schedule
    before = schedule.enabled if not _created else True
    schedule.enabled = enabled
    schedule.changed_at = timezone.now()
    schedule.changed_by = actor
    schedule.save()
    audit.record(
        AuditLog.Action.UPDATE,
        schedule,
        actor=actor,
        bank_id=actor.bank_id,
        object_repr=str(spec.label),
        changes={"enabled": [before, enabled]},
        detail={"event": "schedule_switched", "job": job},
    )
    return schedule
