"""JobRun: one run of a batch job (start, end, status, counts, progress, error report)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import scope_of


class JobRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_of(user)
        if scope == "all":
            return self
        if scope is None or not user.has_perm("sysadmin.view_jobs"):
            return self.none()
        return self.filter(models.Q(bank_id=user.bank_id) | models.Q(bank_id__isnull=True))


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
    error_report = models.TextField(_("error report"), blank=True)
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

    def __str__(self):
        return f"{self.job} {self.business_date or ''} {self.status}"

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
