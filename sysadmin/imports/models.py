"""Models of the organisation-data import: a staged file (ImportBatch) and its rows (ImportRow),
on the kernel's upload pipeline (ocrm.imports.models).

An uploaded (or inbox) file becomes one ImportBatch; each data row of the file becomes one
ImportRow holding the raw cell values, the validation errors and the action that apply
would take. Business tables are only written by services.apply_batch()."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ocrm.imports.models import StagedBatch, StagedRow, staged_upload_path
from ocrm.scoping import ScopedQuerySet

__all__ = ["ImportBatch", "ImportRow", "ImportBatchQuerySet", "import_upload_path"]

# imports/<bank code>/<yyyy>/<mm>/<random>-<name>; migration 0003 names it here.
import_upload_path = staged_upload_path


class ImportBatchQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = None  # bank-wide data: the whole bank sees it
    scope_guardian_grants = False


class ImportBatch(StagedBatch):
    class Kind(models.TextChoices):
        BRANCHES = "branches", _("Branches")
        STAFF = "staff", _("Staff")
        BANK_CODES = "bank_codes", _("Bank codes")
        HOLIDAYS = "holidays", _("Holidays")

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Upload")
        INBOX = "inbox", _("Inbox folder")

    upload_folder = "imports"

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="import_batches")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.UPLOAD)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    job_run = models.ForeignKey(
        "ocrm.JobRun",
        verbose_name=_("job run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ImportBatchQuerySet.as_manager()

    class Meta(StagedBatch.Meta):
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        indexes = [models.Index(fields=["bank", "-created_at"], name="importbatch_bank_time")]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} {self.original_name}"

    def audit_summary(self):
        return {
            "kind": self.kind,
            "source": self.source,
            **super().audit_summary(),
            "created": self.created_count,
            "updated": self.updated_count,
            "unchanged": self.unchanged_count,
        }

    def apply_run(self):
        # The run of the worker applying an uploaded file, or of the inbox job that staged and applies it.
        return self.job_run


class ImportRow(StagedRow):
    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        UNCHANGED = "unchanged", _("Unchanged")
        SKIP = "", _("Not applied (errors)")

    batch = models.ForeignKey(ImportBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="rows")
    key = models.CharField(_("key"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices, blank=True)

    class Meta(StagedRow.Meta):
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="importrow_unique_number")]
        indexes = [models.Index(fields=["batch", "is_valid", "row_number"], name="importrow_batch_valid")]

    def __str__(self):
        return f"{self.batch_id}:{self.row_number} {self.key}"

    @classmethod
    def state_fields(cls, state):
        return {"key": state.key[:200], "action": state.action}
