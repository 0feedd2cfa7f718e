"""In-app notifications of staff."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)

    def visible_to(self, user):
        """A notification is personal: only its recipient sees it (administrators too)."""
        return self.for_user(user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message to one staff member, shown under the bell in the navigation bar.

    Title and body are written in the recipient's language when the notification is
    made (ocrm.notifications.views.notify). dedupe_key makes a batch job's notice unique per
    recipient (e.g. "password-expiry:2026-11-22"), so a rerun sends nothing new."""

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        SUCCESS = "success", _("Success")
        WARNING = "warning", _("Warning")
        DANGER = "danger", _("Urgent")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    bank_id = models.BigIntegerField(_("bank"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=150, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_dedupe",
            ),
        ]

    def __str__(self):
        return f"{self.recipient_id} {self.title}"

    @property
    def is_read(self):
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How one staff member wants to hear of one event type (approval decisions, job failures,
    password expiry, lifecycle changes): in the application, by e-mail, by SMS. Without a row
    a person gets the in-app notification only."""

    class Event(models.TextChoices):
        APPROVAL_DECISION = "approval_decision", _("Approval decisions")
        JOB_FAILURE = "job_failure", _("Failed batch jobs")
        PASSWORD_EXPIRY = "password_expiry", _("Password expiry")
        LIFECYCLE_CHANGE = "lifecycle_change", _("Customer lifecycle changes")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    event = models.CharField(_("event"), max_length=30, choices=Event.choices)
    in_app = models.BooleanField(_("in the application"), default=True)
    email = models.BooleanField(_("by e-mail"), default=False)
    sms = models.BooleanField(_("by SMS"), default=False)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notification_preference_once")]

    def __str__(self):
        return f"{self.user_id} {self.event}"
