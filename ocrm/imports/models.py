"""The staged file and its staged rows, as abstract models each user of the pipeline inherits.

A StagedBatch is one uploaded file: who sent it for which bank, the stored file, its SHA-256,
the columns it had, a status (rejected / validated / applied, and failed where an apply may
fail half-way) with the file error, and the row counts. A StagedRow is one data row of it: the
row number as a spreadsheet shows it, the cells as read, the errors ([{"field", "message"}]),
whether it is valid, and the changes apply would make ({field: [before, after]}).

A concrete batch adds its own columns (a kind, a job run, its own counts) and may override a
field (another upload folder, another status label); a concrete row adds its batch foreign
key, its key column and its Meta constraints. The hooks below say what the pipeline needs of
them: count_rows() and audit_summary() on the batch, from_state() and state_fields() on the row.
"""

import os
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.batch.models import JobRun

ACTIVE_RUN = (JobRun.Status.QUEUED, JobRun.Status.RUNNING)


def staged_upload_path(batch, filename):
    """<upload_folder>/<bank code>/<yyyy>/<mm>/<random>-<name>: never guessable, never colliding."""
    stem, ext = os.path.splitext(os.path.basename(filename))
    safe_stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)[:80] or "file"
    return f"{batch.upload_folder}/{batch.bank.code}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}-{safe_stem}{ext.lower()[:8]}"


class StagedBatch(models.Model):
    """One uploaded file, read and checked into staged rows, previewed, then applied."""

    class Status(models.TextChoices):
        REJECTED = "rejected", _("Rejected")
        VALIDATED = "validated", _("Validated")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Failed")

    upload_folder = "uploads"  # under MEDIA_ROOT (staged_upload_path)

    bank = models.ForeignKey(settings.OCRM_TENANT_MODEL, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, db_index=True)
    original_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("stored file"), upload_to=staged_upload_path, max_length=300, blank=True)
    file_size = models.BigIntegerField(_("file size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    columns = models.JSONField(_("columns in the file"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.VALIDATED)
    error = models.TextField(_("file error"), blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    invalid_rows = models.PositiveIntegerField(_("invalid rows"), default=0)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applied by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"#{self.pk} {self.original_name}"

    @property
    def can_apply(self):
        return self.status in (self.Status.VALIDATED, self.Status.FAILED) and self.valid_rows > 0

    def count_rows(self, states):
        """Set the row counts from the checked rows (ocrm.imports.specs.RowState)."""
        self.total_rows = len(states)
        self.valid_rows = sum(1 for s in states if s.valid)
        self.invalid_rows = self.total_rows - self.valid_rows

    def audit_summary(self):
        """What the audit entries of staging and applying say about the batch."""
        return {
            "file": self.original_name,
            "sha256": self.sha256,
            "status": self.status,
            "error": self.error,
            "rows": self.total_rows,
            "valid": self.valid_rows,
            "invalid": self.invalid_rows,
        }

    def apply_run(self):
        """The job run that applies (or applied) this batch on a worker, or None."""
        return None

    @property
    def applying(self):
        """Being applied by a worker right now."""
        run = self.apply_run()
        return self.status != self.Status.APPLIED and run is not None and run.status in ACTIVE_RUN


class StagedRow(models.Model):
    """One data row of a staged file. A concrete row adds `batch` (a ForeignKey with
    related_name="rows") and its Meta constraints."""

    row_number = models.PositiveIntegerField(_("row"))
    data = models.JSONField(_("cells"), default=dict)  # column key -> text as read from the file
    errors = models.JSONField(_("errors"), default=list, blank=True)  # [{"field": ..., "message": ...}]
    is_valid = models.BooleanField(_("valid"), default=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)  # field -> [before, after]

    # Written again when apply checks the rows once more.
    checked_fields = ("errors", "is_valid", "changes")

    class Meta:
        abstract = True
        ordering = ["batch", "row_number"]

    @classmethod
    def from_state(cls, batch, state):
        return cls(
            batch=batch,
            row_number=state.row_number,
            data=state.data,
            errors=state.errors,
            is_valid=state.valid,
            changes=state.changes,
            **cls.state_fields(state),
        )

    @classmethod
    def state_fields(cls, state):
        """The concrete row's own columns from a checked row (its key, its action)."""
        return {}

    def take_state(self, state):
        """Take the result of checking the row again."""
        self.errors, self.is_valid, self.changes = state.errors, state.valid, state.changes
        for name, value in self.state_fields(state).items():
            setattr(self, name, value)
