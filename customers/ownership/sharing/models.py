"""Customer sharing (delegation): a manager lets a colleague see, or also edit, one of
their customers until a date. The share record is the source of truth; the guardian
object permission (customers.view_customer / change_customer) it grants is what the
data scope reads, and CustomerQuerySet only honours a grant while a share is in force,
so access ends the moment a share expires or is revoked, before any clean-up job runs."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import ScopedQuerySet, scope_of


class CustomerShareQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "customer__branch"
    scope_guardian_grants = False

    def visible_to(self, user):
        """Supervisors and head office as for the customer; a manager sees the shares they
        made, the shares made to them and the shares of the customers they manage."""
        if scope_of(user) == "own":
            return self.filter(bank_id=user.bank_id).filter(
                models.Q(shared_by=user) | models.Q(shared_with=user) | models.Q(customer__primary_manager=user)
            )
        return super().visible_to(user)

    def in_force(self):
        """Shares that grant access right now (the database clock decides, not the caller's)."""
        return self.filter(status=CustomerShare.Status.ACTIVE, revoked_at__isnull=True, expires_at__gt=Now())

    def open(self):
        """Shares that still count: in force, or waiting for a supervisor's approval."""
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(status=CustomerShare.Status.PENDING) | models.Q(status=CustomerShare.Status.ACTIVE, expires_at__gt=Now())
        )


class CustomerShare(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        ACTIVE = "active", _("Approved")
        REJECTED = "rejected", _("Rejected")
        REVOKED = "revoked", _("Revoked")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="shares"
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("shared by"), on_delete=models.PROTECT, related_name="customer_shares_made"
    )
    shared_with = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("shared with"), on_delete=models.PROTECT, related_name="customer_shares_received"
    )
    can_edit = models.BooleanField(_("may edit"), default=False)
    expires_at = models.DateTimeField(_("until"))
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    change_request = models.ForeignKey(
        "ocrm.ChangeRequest", verbose_name=_("change request"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    approved_at = models.DateTimeField(_("in force since"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("revoked by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CustomerShareQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer share")
        verbose_name_plural = _("customer shares")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["shared_with", "status", "expires_at"], name="custshare_with_status"),
            models.Index(fields=["shared_by", "status"], name="custshare_by_status"),
            models.Index(fields=["customer", "status"], name="custshare_customer_status"),
        ]
        permissions = [("approve_share", "Approve or reject customer shares (checker)")]

    def __str__(self):
        return f"{self.customer} → {self.shared_with}"

    @property
    def is_in_force(self):

        return self.status == self.Status.ACTIVE and self.revoked_at is None and self.expires_at > timezone.now()
