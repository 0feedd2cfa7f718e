"""Service requests (交易管理/预填单): a manager pre-fills a request of a product manager's
ServiceRequestType for a customer, the customer confirms the exact content through a channel,
and back-office staff process it step by step. Every change is written to a hash-chained log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.master.models import CustomerChildQuerySet
from ocrm.scoping import ScopedQuerySet


class ServiceRequestTypeQuerySet(ScopedQuerySet):
    """Bank-wide definitions: product managers (bank scope) see their bank's."""

    scope_bank_field = "bank"
    scope_guardian_grants = False


class ServiceRequestType(models.Model):
    """Defined by product managers: the form, required attachments, confirmation channels and steps.

    form_schema: [{"name", "label", "type": text|number|date|time|choice|decimal, "required",
    "choices", "default_from": a customer attribute}]; steps: [{"name", "role", "hours"}]."""

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    form_schema = models.JSONField(_("form fields"), default=list, blank=True)
    required_attachments = models.JSONField(_("required attachments"), default=list, blank=True)
    channels = models.JSONField(_("confirmation channels"), default=list, blank=True)
    steps = models.JSONField(_("processing steps"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ServiceRequestTypeQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request type")
        verbose_name_plural = _("service request types")
        # Product managers change a type's definition through a change request another one approves.
        permissions = [("approve_servicerequesttype", "Approve changes of service request types")]
        constraints = [models.UniqueConstraint(fields=["bank", "code"], name="svcreq_type_code_per_bank")]

    def __str__(self):
        return self.name


class ServiceRequestQuerySet(CustomerChildQuerySet):
    pass


class ServiceRequest(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent to channel")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        PROCESSING = "processing", _("In processing")
        COMPLETED = "completed", _("Completed")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    request_type = models.ForeignKey(
        ServiceRequestType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="requests"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="service_requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    content = models.JSONField(_("content"), default=dict)
    version = models.PositiveIntegerField(_("version"), default=1)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_channel = models.CharField(_("confirmed through"), max_length=40, blank=True)
    step_index = models.PositiveSmallIntegerField(_("current step"), default=0)
    step_started_at = models.DateTimeField(_("step started"), null=True, blank=True)
    step_progress = models.JSONField(_("saved step progress"), default=dict, blank=True)
    # Who picks it up: the role performing the current step (the first one while confirmed) at the
    # processing branch (the pick-up branch of the form, else the customer's): the back-office queue.
    processing_branch = models.ForeignKey(
        "sysadmin.Branch",
        verbose_name=_("processing branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    step_role = models.CharField(_("role of the current step"), max_length=80, blank=True)
    step_due_at = models.DateTimeField(_("step due"), null=True, blank=True)
    step_reminded_at = models.DateTimeField(_("step reminder sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            models.Index(fields=["status", "expires_at"], name="svcreq_status_expiry"),
            models.Index(fields=["bank", "step_role", "status"], name="svcreq_queue"),
            models.Index(fields=["step_due_at"], condition=models.Q(status="processing"), name="svcreq_step_due"),
        ]
        permissions = [("process_servicerequest", "Work on the back-office steps of service requests")]

    def __str__(self):
        return self.reference


class ServiceRequestAttachment(models.Model):
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="attachments")
    step_index = models.PositiveSmallIntegerField(_("step"))
    kind = models.CharField(_("kind"), max_length=60, blank=True)
    file = models.FileField(_("file"), upload_to="servicerequests/%Y/%m/")
    content_type = models.CharField(_("content type"), max_length=60)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("service request attachment")
        verbose_name_plural = _("service request attachments")

    def __str__(self):
        return f"{self.request} {self.kind or self.content_type}"


class ServiceRequestLogEntry(models.Model):
    """Append-only; each entry carries the hash of the previous one, so an altered or removed
    entry breaks the chain (services.verify_log names the first bad entry)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="log_entries")
    sequence = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True)
    event = models.CharField(max_length=40)
    detail = models.JSONField(default=dict)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("service request log entry")
        verbose_name_plural = _("service request log entries")
        ordering = ["request", "sequence"]
        constraints = [models.UniqueConstraint(fields=["request", "sequence"], name="svcreq_log_sequence")]

    def __str__(self):
        return f"{self.request} #{self.sequence} {self.event}"
