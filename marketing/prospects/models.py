"""Prospects (潜在客户): people a manager met who are not customers yet. Checked against the
bank's customers with the ECIF matching rules when captured and again when converted; a likely
duplicate is linked instead of creating a second customer. The identity number is stored as
customers' identity documents store it: keyed hash, ciphertext, masked form, never in clear."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.master.models import IdentityDocument
from ocrm import pii
from ocrm.scoping import ScopedQuerySet


class ProspectQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "branch"
    scope_owner_field = "owner"
    scope_guardian_grants = False


class Prospect(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        LINKED = "linked", _("Linked to a customer")
        CONVERTED = "converted", _("Converted")
        DROPPED = "dropped", _("Dropped")

    class Source(models.TextChoices):
        WALK_IN = "walk_in", _("Walk-in")
        REFERRAL = "referral", _("Referral")
        EVENT = "event", _("Event")
        CAMPAIGN = "campaign", _("Campaign response")
        OTHER = "other", _("Other")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey("sysadmin.Branch", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("manager"), on_delete=models.PROTECT, related_name="prospects"
    )
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    id_type = models.CharField(_("identity document"), max_length=20, choices=IdentityDocument.Type.choices, blank=True)
    id_number_hash = models.CharField(_("number (keyed hash)"), max_length=64, blank=True, editable=False)
    id_number_encrypted = models.TextField(_("number (encrypted)"), blank=True, editable=False)
    id_number_masked = models.CharField(_("identity number"), max_length=40, blank=True, editable=False)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.WALK_IN)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ProspectQuerySet.as_manager()

    class Meta:
        verbose_name = _("prospect")
        verbose_name_plural = _("prospects")
        indexes = [models.Index(fields=("bank", "status", "owner"), name="prospect_list_idx")]

    def __str__(self):
        return self.name

    def set_id_number(self, number):
        self.id_number_hash = pii.keyed_hash(number)
        self.id_number_encrypted = pii.encrypt(pii.normalise_id_number(number))
        self.id_number_masked = pii.mask_id(number)

    def clear_id_number(self):
        return pii.decrypt(self.id_number_encrypted) if self.id_number_encrypted else ""
