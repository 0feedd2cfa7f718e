"""Batch maintenance: one uploaded file (MaintenanceBatch) and its staged, checked rows (MaintenanceRow)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import ScopedQuerySet
from sysadmin.org.models import Bank


def maintenance_upload_path(batch, filename):
    """customer-batches/<bank code>/<yyyy>/<mm>/<random>.<ext>: never guessable, never colliding."""
    import os

    ext = os.path.splitext(os.path.basename(filename))[1].lower()[:8]
    now = timezone.now()
    return f"customer-batches/{batch.bank.code}/{now:%Y/%m}/{uuid.uuid4().hex}{ext}"


class MaintenanceBatchQuerySet(ScopedQuerySet):
    """A batch is seen by its uploader, by supervisors above the uploader's branch and bank-wide roles."""

    scope_bank_field = "bank"
    scope_branch_field = "uploaded_by__branch"
    scope_owner_field = "uploaded_by"
    scope_guardian_grants = False


class MaintenanceBatch(models.Model):
    """One uploaded batch-maintenance file: staged and checked, previewed, then applied at once."""

    class Status(models.TextChoices):
        REJECTED = "rejected", _("Rejected")
        VALIDATED = "validated", _("Checked")
        APPLIED = "applied", _("Applied")

    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
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
    file = models.FileField(_("stored file"), upload_to=maintenance_upload_path, max_length=300, blank=True)
    file_size = models.BigIntegerField(_("file size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    columns = models.JSONField(_("columns in the file"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.VALIDATED)
    error = models.TextField(_("file error"), blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    invalid_rows = models.PositiveIntegerField(_("invalid rows"), default=0)
    changed_rows = models.PositiveIntegerField(_("rows with changes"), default=0)
    unchanged_rows = models.PositiveIntegerField(_("unchanged rows"), default=0)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applied by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MaintenanceBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("batch maintenance file")
        verbose_name_plural = _("batch maintenance files")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["bank", "-created_at"], name="maintbatch_bank_time")]

    def __str__(self):
        return f"#{self.pk} {self.original_name}"

    @property
    def can_apply(self):
        """Apply is refused while any row is invalid: customer data is written all or nothing."""
        return self.status == self.Status.VALIDATED and self.total_rows > 0 and not self.invalid_rows


class MaintenanceRow(models.Model):
    batch = models.ForeignKey(MaintenanceBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(_("row"))
    customer_number = models.CharField(_("customer number"), max_length=200, blank=True)
    data = models.JSONField(_("cells"), default=dict)  # column key -> text as read from the file
    errors = models.JSONField(_("errors"), default=list, blank=True)  # [{"field": ..., "message": ...}]
    is_valid = models.BooleanField(_("valid"), default=True)
    changes = models.JSONField(_("planned changes"), default=dict, blank=True)  # field -> [before, after]

    class Meta:
        verbose_name = _("batch maintenance row")
        verbose_name_plural = _("batch maintenance rows")
        ordering = ["batch", "row_number"]
        constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="maintrow_unique_number")]
        indexes = [models.Index(fields=["batch", "is_valid", "row_number"], name="maintrow_batch_valid")]

    def __str__(self):
        return f"{self.batch_id}:{self.row_number} {self.customer_number}"
