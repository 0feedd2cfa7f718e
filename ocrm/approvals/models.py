"""Change requests: every second-person decision (maker-checker) is one row."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import scope_of


class ChangeRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Requests of the user's bank that the user made or may decide (their scope)."""
        scope = scope_of(user)
        if scope == "all":
            return self
        if scope is None:
            return self.filter(maker=user) if user is not None and user.is_authenticated else self.none()
        qs = self.filter(bank_id=user.bank_id)
        if scope == "bank":
            return qs
        if scope == "subtree":
            return qs.filter(models.Q(branch_path__startswith=user.branch.path) | models.Q(maker=user))
        return qs.filter(maker=user)

    def pending(self):
        return self.filter(status=ChangeRequest.Status.PENDING)


class ChangeRequest(models.Model):
    """Maker-checker (DESIGN §3): a sensitive change recorded as pending, applied only
    when a different user with the checker permission approves it. What a request does
    is decided by the handler registered for its `action` (ocrm.approvals.services)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    bank_id = models.BigIntegerField(_("bank"), db_index=True)
    # The branch whose supervisors decide (materialised path copied, so the inbox of a
    # subtree is one indexed prefix filter).
    branch_path = models.CharField(_("branch path"), max_length=500, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict)  # {field: [before, after]}
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    reason = models.TextField(_("reason for the change"), blank=True)
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "status"], name="changereq_object_status")]

    def __str__(self):
        return f"#{self.pk} {self.action} {self.object_repr} ({self.status})"
