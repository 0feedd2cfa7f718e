"""The calendar (日程): appointments of a person (with or without a customer) and the secret
address of their personal iCalendar feed.

An appointment's start and end are instants (UTC in the database); the pages show them in the
viewer's zone and the diary of a person is laid out in that person's own zone."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import ScopedQuerySet


class AppointmentQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "owner__branch"
    scope_owner_field = "owner"
    scope_guardian_grants = False

    def readable_by(self, user):
        """What a person may open: visible_to, plus the appointments they attend."""
        attended = self.filter(attendees=user, bank_id=user.bank_id) if getattr(user, "bank_id", None) else self.none()
        return self.filter(models.Q(pk__in=self.visible_to(user).values("pk")) | models.Q(pk__in=attended.values("pk")))

    def of_person(self, person):
        """The appointments in a person's diary: theirs and those they attend."""
        return self.filter(models.Q(owner=person) | models.Q(attendees=person)).distinct()

    def between(self, start, end):
        return self.filter(start__lt=end, end__gt=start)


class Appointment(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        VISIT = "visit", _("Visit")
        BRANCH = "branch", _("At the branch")
        PHONE = "phone", _("Phone")
        VIDEO = "video", _("Video call")
        INTERNAL = "internal", _("Internal meeting")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="appointments",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="appointments"
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendees"), blank=True, related_name="appointments_attended"
    )
    start = models.DateTimeField(_("starts"))
    end = models.DateTimeField(_("ends"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.VISIT)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["owner", "start"], name="appointment_owner_start")]
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="appointment_end_after_start")]

    def __str__(self):
        return self.title


class CalendarFeedQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "owner__branch"
    scope_owner_field = "owner"
    scope_guardian_grants = False


class CalendarFeed(models.Model):
    """The secret address of one person's iCalendar feed: only a hash of the token is kept, so
    the address is shown once; a new one revokes the old."""

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last read"), null=True, blank=True, editable=False)

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.owner)
