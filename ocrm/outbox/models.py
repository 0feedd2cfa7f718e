"""The outbox: message templates, gateways, outbound messages with their forward-only states,
the deny list and the callbacks already seen (replay protection). One bank per row (`bank`)."""

import re
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import scope_of

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class BankScopedQuerySet(models.QuerySet):
    """Administrators' rows: head office roles see their bank's, supervisors their branch subtree's
    (when the row names a branch path), everybody else nothing."""

    branch_path_field = None

    def visible_to(self, user):
        scope = scope_of(user)
        if scope == "all":
            return self
        if scope not in ("bank", "subtree"):
            return self.none()
        qs = self.filter(bank_id=user.bank_id)
        if scope == "subtree" and self.branch_path_field:
            return qs.filter(**{f"{self.branch_path_field}__startswith": user.branch.path})
        return qs


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class Purpose(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    SERVICE = "service", _("Service")


class Category(models.TextChoices):
    STANDARD = "standard", _("Standard (waits out quiet hours)")
    TRANSACTIONAL = "transactional", _("Transactional (one-time codes, fraud alerts: sent at any hour)")


class Gateway(models.Model):
    """Where a bank's messages of one channel go: an HTTP/JSON SMS gateway, SMTP, or the console."""

    class Kind(models.TextChoices):
        HTTP = "http", _("HTTP/JSON SMS gateway")
        SMTP = "smtp", _("SMTP e-mail")
        CONSOLE = "console", _("Console / file (development)")

    bank = models.ForeignKey(settings.OCRM_TENANT_MODEL, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.SMS)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HTTP)
    url = models.CharField(_("address"), max_length=300, blank=True, help_text=_("URL of the HTTP gateway, or smtp://host:port."))
    username = models.CharField(_("user name"), max_length=100, blank=True)
    secret = models.CharField(
        _("signing secret"), max_length=200, blank=True, help_text=_("Signs requests to the gateway and checks its callbacks.")
    )
    sender = models.CharField(_("sender"), max_length=100, blank=True, help_text=_("Sender id or From address."))
    price_per_segment = models.DecimalField(_("price per SMS segment"), max_digits=10, decimal_places=4, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    rate_per_second = models.PositiveIntegerField(_("messages per second at most"), default=200)
    is_active = models.BooleanField(_("active"), default=True)

    objects = BankScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("message gateway")
        verbose_name_plural = _("message gateways")
        ordering = ["bank_id", "channel", "name"]
        constraints = [models.UniqueConstraint(fields=["bank", "name"], name="outbox_gateway_name")]

    def __str__(self):
        return f"{self.name} ({self.get_channel_display()})"


class MessageTemplate(models.Model):
    """A message text per language with named variables ``{{ name }}``. `texts` holds
    {language: {"subject": ..., "body": ...}}; every language of outbox.languages is required."""

    bank = models.ForeignKey(settings.OCRM_TENANT_MODEL, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.SMS)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.SERVICE)
    category = models.CharField(_("category"), max_length=15, choices=Category.choices, default=Category.STANDARD)
    variables = models.JSONField(_("variables"), default=list, blank=True)
    texts = models.JSONField(_("texts"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = BankScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["bank", "code"], name="outbox_template_code")]
        permissions = [("manage_outbox", "Manage message templates, search the outbox and resend messages")]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def bypasses_quiet_hours(self):
        return self.category == Category.TRANSACTIONAL and self.purpose == Purpose.SERVICE

    def text_for(self, language):
        """{"subject", "body"} in `language`, else the first language the template has."""
        texts = self.texts or {}
        return texts.get(language) or texts.get((language or "").lower()) or next(iter(texts.values()), {"body": ""})


class State(models.TextChoices):
    QUEUED = "queued", _("Queued")
    HELD = "held", _("Held (quiet hours)")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")
    SUPPRESSED = "suppressed", _("Suppressed")


FINAL_STATES = (State.DELIVERED, State.FAILED, State.EXPIRED, State.SUPPRESSED)
RANK = {
    State.QUEUED: 0,
    State.HELD: 1,
    State.SENDING: 2,
    State.SENT: 3,
    State.DELIVERED: 4,
    State.FAILED: 4,
    State.EXPIRED: 4,
    State.SUPPRESSED: 4,
}


def earlier_states(state):
    """The states from which `state` may be reached (forward only; sending may repeat)."""
    rank = RANK[state]
    earlier = [s for s, r in RANK.items() if r < rank]
    if state in (State.SENDING, State.HELD):
        earlier.append(state)
    return earlier


class OutboundMessageQuerySet(BankScopedQuerySet):
    branch_path_field = "branch_path"


class OutboundMessage(models.Model):
    """One SMS or e-mail to one recipient, rendered in their language when queued."""

    # bank and gateway lead composite indexes below, resent_from has a partial one (few rows are resends):
    # fewer indexes to keep per queued message, as a campaign inserts them by the million.
    bank = models.ForeignKey(
        settings.OCRM_TENANT_MODEL, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    template = models.ForeignKey(
        MessageTemplate, verbose_name=_("template"), null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    category = models.CharField(_("category"), max_length=15, choices=Category.choices, default=Category.STANDARD)
    recipient_kind = models.CharField(_("recipient kind"), max_length=20)
    recipient_id = models.CharField(_("recipient id"), max_length=64)
    recipient_ref = models.CharField(_("recipient"), max_length=100, blank=True)
    branch_path = models.CharField(_("branch path"), max_length=500, blank=True)
    address = models.CharField(_("number or address"), max_length=200)
    language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    encoding = models.CharField(_("encoding"), max_length=10, blank=True)
    segments = models.PositiveSmallIntegerField(_("segments"), default=0)
    cost = models.DecimalField(_("cost estimate"), max_digits=12, decimal_places=4, default=0)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200)
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    gateway = models.ForeignKey(
        Gateway,
        verbose_name=_("gateway"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
        db_index=False,
    )
    gateway_message_id = models.CharField(_("gateway's message id"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("queued"), default=timezone.now)
    hold_until = models.DateTimeField(_("held until"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    final_at = models.DateTimeField(_("final state"), null=True, blank=True)
    resent_from = models.ForeignKey(
        "self",
        verbose_name=_("resend of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resends",
        db_index=False,
    )

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["bank", "dedupe_key"], name="outbox_message_dedupe")]
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(state__in=["queued", "held", "sending"]),
                name="outbox_message_pending",
            ),
            models.Index(fields=["bank", "recipient_kind", "recipient_id", "created_at"], name="outbox_message_recipient"),
            models.Index(fields=["bank", "address"], name="outbox_message_address"),
            models.Index(fields=["bank", "recipient_ref"], name="outbox_message_ref"),
            models.Index(fields=["resent_from"], condition=models.Q(resent_from__isnull=False), name="outbox_message_resends"),
            models.Index(fields=["bank", "created_at"], name="outbox_message_created"),
            models.Index(fields=["gateway", "gateway_message_id"], name="outbox_message_gateway_id"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.channel} {self.state}"

    @property
    def is_final(self):
        return self.state in FINAL_STATES


class MessageEvent(models.Model):
    """Each state a message reached, with when and why: what the bank can prove it sent."""

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="events")
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("message event")
        verbose_name_plural = _("message events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.message_id} {self.state}"


class DeniedAddress(models.Model):
    """A number (or e-mail address) nothing is sent to: a STOP reply, or put there by hand."""

    class Source(models.TextChoices):
        STOP = "stop", _("STOP reply")
        MANUAL = "manual", _("By an administrator")

    bank = models.ForeignKey(settings.OCRM_TENANT_MODEL, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("number or address"), max_length=200)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    objects = BankScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("denied number")
        verbose_name_plural = _("deny list")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["bank", "address"], name="outbox_denied_address")]

    def __str__(self):
        return self.address


class CallbackReceipt(models.Model):
    """A gateway callback already accepted (its signature): the same one again is a replay."""

    gateway = models.ForeignKey(Gateway, on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(max_length=128)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gateway", "signature"], name="outbox_callback_once")]

    def __str__(self):
        return f"{self.gateway_id} {self.received_at}"
