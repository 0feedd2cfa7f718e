"""Channel clients (渠道接入): the bank's registered channels and what the API keeps about their calls."""

from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ocrm import pii
from ocrm.scoping import ScopedQuerySet
from sysadmin.org.models import Bank
from workbench.channelapi import clientcache


class _ForgetOnUpdate:
    """update() skips the signals below; it bumps the workers' cache generation itself."""

    def update(self, **kwargs):
        clientcache.bump()
        return super().update(**kwargs)


class ChannelClientQuerySet(_ForgetOnUpdate, models.QuerySet):
    pass


class ChannelFieldPolicyQuerySet(_ForgetOnUpdate, ScopedQuerySet):
    pass


class ChannelClient(models.Model):
    class Kind(models.TextChoices):
        COUNTER = "counter", _("Counter")
        PHONE = "phone", _("Phone banking")
        ONLINE = "online", _("Online banking")
        CALL_CENTRE = "call_centre", _("Call centre")

    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="channel_clients")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The public half of the credentials, sent in X-Channel-Key with every call.
    key_id = models.CharField(_("key"), max_length=40, unique=True)
    # The signing key is sha256(secret shown once) (signing.py); HMAC needs it on our side too, so it is
    # kept encrypted with ocrm.pii (PII_ENCRYPTION_KEY): a reader of the table alone cannot sign.
    signing_key_encrypted = models.TextField(editable=False)
    secret_expires_at = models.DateTimeField(_("secret expires"))
    # After a rotation the previous secret keeps working until previous_valid_until (the overlap window).
    previous_signing_key_encrypted = models.TextField(blank=True, editable=False)
    previous_valid_until = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    requests_per_minute = models.PositiveIntegerField(_("requests per minute"), default=600)
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    # The key our webhook deliveries are signed with, encrypted like the signing key.
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    # Consecutive failed webhook deliveries; at channelapi.webhook_pause_after_failures the client's
    # webhooks are paused (webhooks_paused_at) until an administrator replays its dead letters.
    webhook_failures = models.PositiveIntegerField(default=0, editable=False)
    webhooks_paused_at = models.DateTimeField(_("webhooks paused"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ChannelClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("channel client")
        verbose_name_plural = _("channel clients")
        # The bank's administrators: register, rotate, revoke clients; read and replay webhook dead letters.
        permissions = [("manage_channelclients", _("Can manage channel clients and their webhooks"))]
        constraints = [models.UniqueConstraint(fields=["bank", "name"], name="channel_client_name_per_bank")]

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return self.revoked_at is None

    def signing_keys(self, now=None):
        """The keys a signature may be made with now: the current one, and the previous one inside
        its overlap window (decrypted; an undecryptable key signs nothing)."""
        now = now or timezone.now()
        encrypted = []
        if self.secret_expires_at > now:
            encrypted.append(self.signing_key_encrypted)
        if self.previous_signing_key_encrypted and self.previous_valid_until and self.previous_valid_until > now:
            encrypted.append(self.previous_signing_key_encrypted)
        return [key for key in map(pii.decrypt, encrypted) if key]

    def signing_keys_with_ends(self):
        """[(key, epoch seconds it stops signing)], decrypted once for clientcache."""
        ends = [(self.signing_key_encrypted, self.secret_expires_at)]
        if self.previous_signing_key_encrypted and self.previous_valid_until:
            ends.append((self.previous_signing_key_encrypted, self.previous_valid_until))
        decrypted = [(pii.decrypt(encrypted), end.timestamp()) for encrypted, end in ends]
        return [(key, end) for key, end in decrypted if key]

    @property
    def webhook_secret(self):
        return pii.decrypt(self.webhook_secret_encrypted) if self.webhook_secret_encrypted else ""


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an Idempotency-Key; the unique constraint plus a row lock
    make concurrent retries wait for it instead of acting twice."""

    client = models.ForeignKey(ChannelClient, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=200)
    endpoint = models.CharField(max_length=200)
    body_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="channel_idempotency_key_per_client")]

    def __str__(self):
        return f"{self.endpoint} {self.key}"


class ChannelCall(models.Model):
    """Every call a channel makes: who, which endpoint, about which customer, and how it ended."""

    client = models.ForeignKey(ChannelClient, on_delete=models.CASCADE, related_name="calls")
    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=8)
    endpoint = models.CharField(max_length=200)  # the route's name, never the path: no customer data in it
    customer = models.ForeignKey("customers.Customer", null=True, on_delete=models.SET_NULL, related_name="+")
    status_code = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["client", "created_at"], name="channel_call_client_time")]

    def __str__(self):
        return f"{self.method} {self.endpoint} {self.status_code}"


class WebhookEvent(models.Model):
    """An event published for a bank's channels (workbench.channelapi.webhooks.publish)."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return self.event_type


class WebhookDelivery(models.Model):
    """One event on its way to one client's webhook URL. PENDING is attempted when due; DEAD is the
    dead-letter list (attempts exhausted or the client paused) that an administrator replays."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery", "Pending")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Dead letter")

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    client = models.ForeignKey(ChannelClient, on_delete=models.CASCADE, related_name="webhook_deliveries")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [models.UniqueConstraint(fields=["event", "client"], name="webhook_delivery_once_per_client")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self):
        return f"{self.event} → {self.client}"


class ChannelFieldPolicy(models.Model):
    """The customer fields one kind of channel of a bank may receive (an administrator edits it in
    Django admin; audited by the safety net). No row: classification.DEFAULT_FIELDS."""

    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelClient.Kind.choices)
    fields = models.JSONField(_("fields"), default=list)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ChannelFieldPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("channel field policy")
        verbose_name_plural = _("channel field policies")
        constraints = [models.UniqueConstraint(fields=["bank", "kind"], name="channel_field_policy_per_kind")]

    def __str__(self):
        return f"{self.bank} {self.get_kind_display()}"


@receiver([post_save, post_delete], sender=ChannelClient)
@receiver([post_save, post_delete], sender=ChannelFieldPolicy)
def _forget_cached_clients(sender, **kwargs):
    # The API workers keep clients and policies in memory (clientcache): a change reaches them all.
    clientcache.bump()
