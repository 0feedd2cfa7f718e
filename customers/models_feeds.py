"""The pre-processing layer of the ECIF (issue 4): what each source system told us.

A SourceRecord is one source system's view of one customer, keyed by (bank, source
system, source key) and upserted by the customer feed. Matching (customers.matching)
resolves each record to a golden Customer (`customer`), creating one when nobody
matches; holdings and transactions from the feeds find their customer through it.
Identity numbers follow the PII rules of IdentityDocument: keyed hash for matching,
ciphertext, masked form; never in clear text.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import ScopedQuerySet

__all__ = ["SourceRecord", "SourceRecordQuerySet"]


class SourceRecordQuerySet(ScopedQuerySet):
    scope_bank_field = "customer__bank"
    scope_branch_field = "customer__branch"
    scope_owner_field = "customer__primary_manager"
    scope_guardian_grants = False


class SourceRecord(models.Model):
    class MatchStatus(models.TextChoices):
        UNRESOLVED = "unresolved", _("Not yet matched")
        NEW = "new", _("New customer")
        MATCHED = "matched", _("Matched")
        REVIEW = "review", _("Waiting for review")

    bank_id = models.BigIntegerField(_("bank"))
    source_system = models.CharField(_("source system"), max_length=30)
    source_key = models.CharField(_("source key"), max_length=64)
    business_date = models.DateField(_("business date"))
    kind = models.CharField(_("kind"), max_length=10, choices=[("retail", _("Retail")), ("corporate", _("Corporate"))])
    name_local = models.CharField(_("name"), max_length=200)
    name_latin = models.CharField(_("name (Latin script)"), max_length=200, blank=True)
    gender = models.CharField(_("gender"), max_length=1, blank=True)
    birth_date = models.DateField(_("birth date / founded"), null=True, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, blank=True)
    id_type = models.CharField(_("document type"), max_length=20, blank=True)
    id_number_hash = models.CharField(_("document number (keyed hash)"), max_length=64, blank=True)
    id_number_encrypted = models.TextField(_("document number (encrypted)"), blank=True)
    id_number_masked = models.CharField(_("document number"), max_length=40, blank=True)
    registration_code = models.CharField(_("registration / unified social credit code"), max_length=30, blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True)
    email = models.CharField(_("e-mail"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    branch_code = models.CharField(_("branch code"), max_length=30, blank=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="source_records")
    match_status = models.CharField(_("match status"), max_length=12, choices=MatchStatus.choices,
                                    default=MatchStatus.UNRESOLVED)
    loaded_by_run_id = models.BigIntegerField(_("loaded by job run"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = SourceRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("source record")
        verbose_name_plural = _("source records")
        constraints = [
            models.UniqueConstraint(fields=["bank_id", "source_system", "source_key"], name="sourcerecord_key"),
        ]
        indexes = [
            models.Index(fields=["bank_id", "match_status"], name="sourcerecord_status"),
            models.Index(fields=["customer"], name="sourcerecord_customer"),
            models.Index(fields=["bank_id", "id_type", "id_number_hash"], name="sourcerecord_identity"),
        ]

    def __str__(self):
        return f"{self.source_system}:{self.source_key} {self.name_local}"
