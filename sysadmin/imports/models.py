"""Models of the organisation-data import (staging batches and rows).

An uploaded (or inbox) file becomes one ImportBatch; each data row of the file becomes one
ImportRow holding the raw cell values, the validation errors and the action that apply
would take. Business tables are only written by services.apply_batch()."""

import os
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import ScopedQuerySet

__all__ = ["ImportBatch", "ImportRow", "ImportBatchQuerySet"]


def import_upload_path(batch, filename):
    """imports/<bank code>/<yyyy>/<mm>/<random>-<name>: never guessable, never colliding."""
    stem, ext = os.path.splitext(os.path.basename(filename))
    safe_stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)[:80] or "file"
    now = timezone.now()
    return f"imports/{batch.bank.code}/{now:%Y/%m}/{uuid.uuid4().hex}-{safe_stem}{ext.lower()[:8]}"


class ImportBatchQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = None  # bank-wide data: the whole bank sees it
    scope_guardian_grants = False


class ImportBatch(models.Model):
    class Kind(models.TextChoices):
        BRANCHES = "branches", _("Branches")
        STAFF = "staff", _("Staff")
        BANK_CODES = "bank_codes", _("Bank codes")
        HOLIDAYS = "holidays", _("Holidays")

    class Status(models.TextChoices):
        REJECTED = "rejected", _("Rejected")
        VALIDATED = "validated", _("Validated")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Failed")

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Upload")
        INBOX = "inbox", _("Inbox folder")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="import_batches")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.UPLOAD)
    original_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("stored file"), upload_to=import_upload_path, max_length=300, blank=True)
    file_size = models.BigIntegerField(_("file size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    columns = models.JSONField(_("columns in the file"), default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.VALIDATED)
    error = models.TextField(_("file error"), blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    invalid_rows = models.PositiveIntegerField(_("invalid rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applied by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    job_run = models.ForeignKey(
        "ocrm.JobRun",
        verbose_name=_("job run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["bank", "-created_at"], name="importbatch_bank_time")]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} {self.original_name}"

    @property
    def can_apply(self):
        return self.status in (self.Status.VALIDATED, self.Status.FAILED) and self.valid_rows > 0


class ImportRow(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        UNCHANGED = "unchanged", _("Unchanged")
        SKIP = "", _("Not applied (errors)")

    batch = models.ForeignKey(ImportBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(_("row"))
    key = models.CharField(_("key"), max_length=200, blank=True)
    data = models.JSONField(_("cells"), default=dict)  # column key -> text as read from the file
    errors = models.JSONField(_("errors"), default=list, blank=True)  # [{"field": ..., "message": ...}]
    is_valid = models.BooleanField(_("valid"), default=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)  # field -> [before, after]

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        ordering = ["batch", "row_number"]
        constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="importrow_unique_number")]
        indexes = [models.Index(fields=["batch", "is_valid", "row_number"], name="importrow_batch_valid")]

    def __str__(self):
        return f"{self.batch_id}:{self.row_number} {self.key}"
