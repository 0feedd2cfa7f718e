"""Batch maintenance: one uploaded file (MaintenanceBatch) and its staged, checked rows
(MaintenanceRow), on the kernel's upload pipeline (ocrm.imports.models)."""

import os
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.batch.models import JobRun
from ocrm.batch.runs import run_key
from ocrm.imports.models import StagedBatch, StagedRow
from ocrm.imports.specs import UNCHANGED, UPDATE
from ocrm.scoping import ScopedQuerySet

APPLY_JOB = "customer_batch_apply"


def maintenance_upload_path(batch, filename):
    """customer-batches/<bank code>/<yyyy>/<mm>/<random>.<ext>: never guessable, never colliding."""
    ext = os.path.splitext(os.path.basename(filename))[1].lower()[:8]
    return f"customer-batches/{batch.bank.code}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


class MaintenanceBatchQuerySet(ScopedQuerySet):
    """A batch is seen by its uploader, by supervisors above the uploader's branch and bank-wide roles."""

    scope_bank_field = "bank"
    scope_branch_field = "uploaded_by__branch"
    scope_owner_field = "uploaded_by"
    scope_guardian_grants = False


class MaintenanceBatch(StagedBatch):
    """One uploaded batch-maintenance file: staged and checked, previewed, then applied at once."""

    class Status(models.TextChoices):
        REJECTED = "rejected", _("Rejected")
        VALIDATED = "validated", _("Checked")
        APPLIED = "applied", _("Applied")

    file = models.FileField(_("stored file"), upload_to=maintenance_upload_path, max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.VALIDATED)
    changed_rows = models.PositiveIntegerField(_("rows with changes"), default=0)
    unchanged_rows = models.PositiveIntegerField(_("unchanged rows"), default=0)

    objects = MaintenanceBatchQuerySet.as_manager()

    class Meta(StagedBatch.Meta):
        verbose_name = _("batch maintenance file")
        verbose_name_plural = _("batch maintenance files")
        indexes = [models.Index(fields=["bank", "-created_at"], name="maintbatch_bank_time")]

    @property
    def can_apply(self):
        """Apply is refused while any row is invalid: customer data is written all or nothing."""
        return self.status == self.Status.VALIDATED and self.total_rows > 0 and not self.invalid_rows

    def count_rows(self, states):
        super().count_rows(states)
        self.changed_rows = sum(1 for s in states if s.valid and s.action == UPDATE)
        self.unchanged_rows = sum(1 for s in states if s.valid and s.action == UNCHANGED)

    def audit_summary(self):
        return {**super().audit_summary(), "changed": self.changed_rows, "unchanged": self.unchanged_rows}

    def apply_run(self):
        """The newest worker run that applies (or applied, or failed to apply) this batch."""
        key = run_key(APPLY_JOB, self.bank_id, extra=f"batch:{self.pk}")
        return JobRun.objects.filter(job=APPLY_JOB, key=key).order_by("-created_at", "-id").first()


class MaintenanceRow(StagedRow):
    batch = models.ForeignKey(MaintenanceBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="rows")
    customer_number = models.CharField(_("customer number"), max_length=200, blank=True)
    changes = models.JSONField(_("planned changes"), default=dict, blank=True)  # field -> [before, after]

    class Meta(StagedRow.Meta):
        verbose_name = _("batch maintenance row")
        verbose_name_plural = _("batch maintenance rows")
        constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="maintrow_unique_number")]
        indexes = [models.Index(fields=["batch", "is_valid", "row_number"], name="maintrow_batch_valid")]

    def __str__(self):
        return f"{self.batch_id}:{self.row_number} {self.customer_number}"

    @classmethod
    def state_fields(cls, state):
        return {"customer_number": state.values.get("customer_number", state.data.get("customer_number", ""))[:200]}
