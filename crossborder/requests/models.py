"""Cross-border service requests: from a branch to a branch in another country (same bank, or a
partner bank under an agreement in force), routed to the receiving branch's queue and timed by
the receiving branch's business hours (crossborder.requests.clock)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.master.models import Customer
from ocrm.scoping import scope_of
from sysadmin.org.models import Bank, Branch


class ServiceType(models.Model):
    """A kind of cross-border service; seeded by migration (xborder_service_types)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("English name"), max_length=200)
    name_local = models.CharField(_("name"), max_length=200)
    sla_hours = models.DecimalField(_("service-level time (business hours)"), max_digits=6, decimal_places=2)
    # [{"name": "target_product", "label_en": ..., "label_local": ..., "required": true}]
    form_fields = models.JSONField(_("form fields"), default=list, blank=True)
    # ["passport", "proof_of_address"]
    required_documents = models.JSONField(_("required documents"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("cross-border service type")
        verbose_name_plural = _("cross-border service types")
        ordering = ["code"]

    def __str__(self):
        return self.name_local or self.name_en


class RequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The requesting side sees the requests of its scope (bank / subtree / own); the
        receiving side its branch's queue (cross-border officers: their branch; bank scope:
        every request received by the bank). Nothing else, whatever the bank."""
        scope = scope_of(user)
        if scope is None:
            return self.none()
        if scope == "all":
            return self
        if scope == "bank":
            sent = Q(bank_id=user.bank_id)
            received = Q(to_bank_id=user.bank_id)
        elif scope == "subtree" and user.branch_id:
            sent = Q(bank_id=user.bank_id, from_branch__path__startswith=user.branch.path)
            received = Q(to_bank_id=user.bank_id, to_branch__path__startswith=user.branch.path)
        else:
            sent = Q(bank_id=user.bank_id, requested_by=user)
            received = Q(to_bank_id=user.bank_id) & (Q(assigned_to=user) | Q(to_branch_id=user.branch_id))
        return self.filter(sent | received)


class CrossBorderRequest(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting for the other side")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    class SharedPart(models.TextChoices):
        PROFILE = "profile", _("Profile")
        IDENTITY = "identity", _("Identity documents (masked)")
        IDENTITY_FULL = "identity_full", _("Identity documents (full numbers)")
        HOLDINGS = "holdings", _("Holdings summary")

    bank = models.ForeignKey(Bank, verbose_name=_("requesting bank"), on_delete=models.PROTECT, related_name="+")
    from_branch = models.ForeignKey(Branch, verbose_name=_("requesting branch"), on_delete=models.PROTECT, related_name="+")
    to_bank = models.ForeignKey(Bank, verbose_name=_("receiving bank"), on_delete=models.PROTECT, related_name="+")
    to_branch = models.ForeignKey(Branch, verbose_name=_("receiving branch"), on_delete=models.PROTECT, related_name="+")
    service_type = models.ForeignKey(ServiceType, verbose_name=_("service"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    form_data = models.JSONField(_("details"), default=dict, blank=True)
    shared_parts = models.JSONField(_("shared with the receiving side"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("submitted"))
    sla_seconds = models.PositiveIntegerField(_("service-level time (business seconds)"))
    due_at = models.DateTimeField(_("due"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Set when closed: the receiving side may look at the shared parts until then.
    sharing_ends_at = models.DateTimeField(_("sharing ends"), null=True, blank=True)
    fee_amount_minor = models.BigIntegerField(_("fee (minor units)"), null=True, blank=True)
    fee_currency = models.CharField(_("fee currency"), max_length=3, blank=True)
    escalated_80_at = models.DateTimeField(null=True, blank=True)
    escalated_100_at = models.DateTimeField(null=True, blank=True)

    objects = RequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("cross-border request")
        verbose_name_plural = _("cross-border requests")
        ordering = ["-submitted_at"]
        permissions = [("handle_crossborder_request", _("Can handle cross-border requests received by the own branch"))]
        indexes = [
            models.Index(fields=["to_branch", "status"], name="xborder_request_queue"),
            models.Index(fields=["bank", "status"], name="xborder_request_sent"),
            models.Index(fields=["due_at"], condition=Q(closed_at__isnull=True), name="xborder_request_open_due"),
        ]

    def __str__(self):
        return f"{self.service_type} {self.from_branch.code} → {self.to_branch.code}"

    @property
    def is_open(self):
        return self.status not in CLOSED_STATUSES


CLOSED_STATUSES = {
    CrossBorderRequest.Status.COMPLETED,
    CrossBorderRequest.Status.DECLINED,
    CrossBorderRequest.Status.CANCELLED,
}


class RequestEvent(models.Model):
    """The request's operation log (both sides read it)."""

    request = models.ForeignKey(CrossBorderRequest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return self.action


class RequestMessage(models.Model):
    """A message between the two sides on the request (a comment thread)."""

    request = models.ForeignKey(CrossBorderRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"))
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return self.body[:50]


class RequestAttachment(models.Model):
    """A file on the request, from either side (PDF or image, its type read from its bytes); seen
    by both sides of the request only, every download audited in both banks."""

    request = models.ForeignKey(CrossBorderRequest, on_delete=models.CASCADE, related_name="attachments")
    side = models.CharField(_("side"), max_length=10)  # "requester" or "receiver"
    document_kind = models.CharField(_("document"), max_length=60, blank=True)
    file = models.FileField(_("file"), upload_to="crossborder/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=60)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("cross-border request attachment")
        verbose_name_plural = _("cross-border request attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name
