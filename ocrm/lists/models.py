"""Kernel models every app writes to: the audit log and batch job runs.

Both keep bank_id as a plain indexed column (no foreign key): they are append-heavy,
will be partitioned by month (DESIGN §6), and must survive the deletion of what they
describe."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm import pii
from ocrm.batch.models import JobRun


class ExportFileQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An export is personal (it may hold clear personal data): only its owner sees it."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    def active(self):
        return self.filter(status__in=(ExportFile.Status.QUEUED, ExportFile.Status.RUNNING))


class ExportFile(models.Model):
    """A list export too big to build inside a request, or one with personal data in clear:
    written by a Celery worker as the owner (ocrm.lists.background), kept for export.keep_days
    days in the owner's "my exports". A clear export waits for a checker's approval first."""

    class Status(models.TextChoices):
        AWAITING = "awaiting", _("Awaiting approval")
        REJECTED = "rejected", _("Rejected")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="export_files"
    )
    bank_id = models.BigIntegerField(_("bank"), null=True, blank=True, db_index=True)
    title = models.CharField(_("list"), max_length=200)
    # The list page is found again by its URL name (not a stored import path) and its filter
    # by the query string the owner used.
    url_name = models.CharField(_("URL name"), max_length=200)
    url_kwargs = models.JSONField(_("URL arguments"), default=dict, blank=True)
    query = models.TextField(_("filter"), blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    filename = models.CharField(_("file name"), max_length=200)
    pii = models.BooleanField(_("holds clear personal data"), default=False)
    # The checker who let a clear export run (ChangeRequest "export.clear_pii").
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.BigIntegerField(_("rows written"), default=0)
    progress_total = models.BigIntegerField(_("rows"), null=True, blank=True)
    row_count = models.BigIntegerField(_("row count"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True, max_length=300)
    size = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    job_run = models.ForeignKey(
        JobRun, verbose_name=_("job run"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ExportFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("export file")
        verbose_name_plural = _("export files")
        ordering = ["-created_at", "-id"]
        permissions = [
            # No role holds it by default (sysadmin.roles.NOT_BY_DEFAULT): a bank grants it to named people.
            ("export_clear_pii", "Request exports with personal data in clear (each approved by a checker)"),
            ("approve_clear_export", "Approve or reject exports with personal data in clear (checker)"),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="exportfile_owner_time"),
            models.Index(fields=["created_at"], name="exportfile_created"),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    @property
    def shown_query(self):
        """The list's filter as the owner may see it again: searched numbers masked."""
        return pii.scrub_query(self.query) if self.query else ""

    @property
    def is_active(self):
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self):
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return None
        return min(100, int(self.progress_done * 100 / self.progress_total))
