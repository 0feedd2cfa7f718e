"""JobRun: one run of a batch job (start, end, status, counts, progress, error report);
JobSchedule: whether a bank's scheduled runs of a job happen at all (docs/jobs.md)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import scope_of

# The platform operator (not a bank role: sysadmin.roles.PLATFORM_ROLES) runs the platform itself:
# the global beat schedules, every bank's job runs, the tracebacks of failed runs.
OPERATE_PLATFORM = "ocrm.operate_platform"


def is_platform_operator(user):
    return bool(user and user.is_authenticated and user.is_active and (user.is_superuser or user.has_perm(OPERATE_PLATFORM)))


class JobRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A platform operator sees every run; a bank's operators only their bank's. An all-banks
        run (bank_id None) is the platform's: its counts add up every bank's, so a bank sees its own
        share as its bank's sub-run instead."""
        if is_platform_operator(user):
            return self
        if scope_of(user) is None or not user.has_perm("sysadmin.view_jobs"):
            return self.none()
        return self.filter(bank_id=user.bank_id)


class JobRun(models.Model):
    """One run of a batch job for one business date: what operators watch."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    job = models.CharField(_("job"), max_length=100, db_index=True)
    bank_id = models.BigIntegerField(_("bank"), null=True, blank=True, db_index=True)
    business_date = models.DateField(_("business date"), null=True, blank=True)
    key = models.CharField(_("run key"), max_length=300, blank=True, help_text=_("What makes a rerun the same run."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    progress_done = models.BigIntegerField(_("done"), default=0)
    progress_total = models.BigIntegerField(_("total"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    # What a bank's operators read: a translated reason, never a traceback.
    error_report = models.TextField(_("error report"), blank=True)
    # The traceback of an unexpected failure: for the log and platform operators only.
    error_trace = models.TextField(_("technical details"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = JobRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["job", "key"], name="jobrun_job_key")]
        permissions = [("operate_platform", _("Operate the platform (global schedules, every bank's job runs)"))]

    def __str__(self):
        return f"{self.job} {self.business_date or ''} {self.status}"

    @property
    def failure_reason(self):
        """What a person reads about a failed run: its reason, or in general terms a fault's."""
        if self.error_report or self.status != self.Status.FAILED:
            return self.error_report
        return _(
            "The job stopped on an unexpected error. The platform operators can see the technical details; "
            "run it again once the cause is fixed."
        )

    @property
    def percent(self):
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return None
        return min(100, int(self.progress_done * 100 / self.progress_total))

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class JobScheduleQuerySet(models.QuerySet):
    def visible_to(self, user):
        if is_platform_operator(user):
            return self
        if scope_of(user) is None:
            return self.none()
        return self.filter(bank_id=user.bank_id)


class JobSchedule(models.Model):
    """One bank's switch for the scheduled runs of one per-bank job. No row: the job runs on its
    schedule. The schedule itself (the beat's time of day) is global and the platform operator's;
    a bank's administrator only switches their own bank in or out of it."""

    bank_id = models.BigIntegerField(_("bank"), db_index=True)
    job = models.CharField(_("job"), max_length=100)
    enabled = models.BooleanField(_("runs on schedule"), default=True)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = JobScheduleQuerySet.as_manager()

    class Meta:
        verbose_name = _("job schedule")
        verbose_name_plural = _("job schedules")
        constraints = [models.UniqueConstraint(fields=["bank_id", "job"], name="jobschedule_bank_job")]

    def __str__(self):
        return f"{self.job} {self.bank_id} {'on' if self.enabled else 'off'}"
