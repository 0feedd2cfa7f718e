"""Staff messaging (即时通信): one-to-one and group conversations between staff of one bank.

Messages are business records: nobody deletes one from the pages (a participant may hide a
conversation for themselves; the next message shows it again), the retention clean-up removes
them after the bank's `messaging.keep_days`. A conversation is read by its participants only
(`visible_to`: a supervisor or head-office role reads nothing more), and searched and exported by
holders of `workbench.audit_conversations` within their bank (`auditable_by`)."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import ScopedQuerySet, scope_of

AUDIT_PERMISSION = "workbench.audit_conversations"


def _active(user):
    return user is not None and user.is_authenticated and user.is_active


class ConversationQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"

    def visible_to(self, user):
        """The conversations the user takes part in (of the user's own bank); a superuser all."""
        if not _active(user):
            return self.none()
        if user.is_superuser:
            return self
        if user.bank_id is None:
            return self.none()
        return self.filter(bank_id=user.bank_id, participants__user=user)

    def auditable_by(self, user):
        """Every conversation of the user's bank for an auditor (workbench.audit_conversations)."""
        if not _active(user) or not user.has_perm(AUDIT_PERMISSION):
            return self.none()
        if scope_of(user) == "all":
            return self
        if user.bank_id is None:
            return self.none()
        return self.filter(bank_id=user.bank_id)


class Conversation(models.Model):
    class Kind(models.TextChoices):
        DIRECT = "direct", _("One-to-one")
        GROUP = "group", _("Group")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DIRECT)
    title = models.CharField(_("title"), max_length=200, blank=True)
    # "<smaller staff id>:<larger staff id>" of a one-to-one conversation: starting it again opens it.
    direct_key = models.CharField(max_length=50, blank=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now, editable=False)
    last_message_id = models.BigIntegerField(default=0, editable=False)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True, editable=False)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_id"]
        permissions = [("audit_conversations", "Search and export every staff conversation of the bank")]
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "direct_key"], condition=~models.Q(direct_key=""), name="conversation_direct_unique"
            )
        ]
        indexes = [models.Index(fields=["customer"], name="conversation_customer")]

    def __str__(self):
        return self.title or f"#{self.pk}"


class ParticipantQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_owner_field = "user"
    scope_guardian_grants = False

    def visible_to(self, user):
        if not _active(user):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(bank_id=user.bank_id, conversation__participants__user=user)


class Participant(models.Model):
    """One person in one conversation: what they have read, whether they hid it."""

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    conversation = models.ForeignKey(
        Conversation, verbose_name=_("conversation"), on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="+")
    joined_at = models.DateTimeField(_("joined"), default=timezone.now, editable=False)
    last_read_id = models.BigIntegerField(default=0, editable=False)
    hidden = models.BooleanField(_("hidden"), default=False)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="participant_unique")]
        indexes = [models.Index(fields=["user", "hidden"], name="participant_user_hidden")]

    def __str__(self):
        return f"{self.user_id} in {self.conversation_id}"


def attachment_path(instance, filename):
    # Never the original name in the path (it may carry a customer's name).
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"message-attachments/{instance.bank_id}/{uuid.uuid4().hex}.{extension}"


class MessageQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"

    def visible_to(self, user):
        return self.filter(conversation__in=Conversation.objects.visible_to(user).values("pk"))

    def auditable_by(self, user):
        return self.filter(conversation__in=Conversation.objects.auditable_by(user).values("pk"))


class Message(models.Model):
    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    conversation = models.ForeignKey(
        Conversation, verbose_name=_("conversation"), on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sender"), on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"), blank=True)
    # Search keys of the body (customers.master.search's grams: CJK characters and pairs, Latin word prefixes).
    body_grams = ArrayField(models.CharField(max_length=20), default=list, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now, editable=False)
    attachment = models.FileField(_("attachment"), upload_to=attachment_path, blank=True, max_length=200)
    attachment_name = models.CharField(_("file name"), max_length=200, blank=True)
    attachment_type = models.CharField(_("file type"), max_length=100, blank=True)
    attachment_size = models.PositiveBigIntegerField(_("file size"), default=0)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["conversation", "id"], name="message_conversation_id"),
            models.Index(fields=["bank", "sent_at"], name="message_bank_sent"),
            GinIndex(fields=["body_grams"], name="message_body_grams"),
        ]

    def __str__(self):
        return f"#{self.pk}"
