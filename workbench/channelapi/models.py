"""Channel clients (渠道接入): the bank's registered channels and what the API keeps about their calls."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sysadmin.org.models import Bank


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
    # sha256 of the secret shown once; the client signs with that digest (see authentication.py).
    secret_digest = models.CharField(max_length=64, editable=False)
    secret_expires_at = models.DateTimeField(_("secret expires"))
    # After a rotation the previous secret keeps working until previous_valid_until (the overlap window).
    previous_secret_digest = models.CharField(max_length=64, blank=True, editable=False)
    previous_valid_until = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    requests_per_minute = models.PositiveIntegerField(_("requests per minute"), default=600)
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    webhook_secret = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel client")
        verbose_name_plural = _("channel clients")
        constraints = [models.UniqueConstraint(fields=["bank", "name"], name="channel_client_name_per_bank")]

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return self.revoked_at is None

    def signing_digests(self, now=None):
        """The secret digests a signature may be made with now: the current one, and the previous
        one inside its overlap window."""
        now = now or timezone.now()
        digests = []
        if self.secret_expires_at > now:
            digests.append(self.secret_digest)
        if self.previous_secret_digest and self.previous_valid_until and self.previous_valid_until > now:
            digests.append(self.previous_secret_digest)
        return digests


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
