"""Reminders (事件提醒): one row per event, lead time and the manager who must hear of it.

The nightly job (services.generate, one run per bank and branch time zone) writes them set-based
for the business date of the branches' zone; the unique constraint on (kind, rule, event object,
event date, lead) makes a rerun, a later night or an overlapping window add nothing: one reminder
per event and lead time, delivered once. `deliver_at` is the instant it is due: 09:00 in the
manager's own zone on the first working day of the manager's branch on or after the reminder's
local date (or, for a timed kind such as appointments, the event's instant minus the lead in
minutes), computed in SQL when the row is written.

Administrators add parameterised rule kinds (`ReminderRule`, e.g. "AUM dropped by more than X%
in 30 days"); their parameters are checked by the rule kind (workbench.reminders.kinds)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import ScopedQuerySet
from workbench.reminders import kinds


class ReminderQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "branch"  # the customer's branch: a supervisor sees the reminders of the subtree's customers
    scope_owner_field = "manager"
    scope_guardian_grants = False

    def due(self, now=None):
        """What needs its manager now: delivered (or due and not yet marked), or snoozed until before now."""
        now = now or timezone.now()
        return self.filter(
            Q(status=Reminder.Status.DELIVERED)
            | Q(status=Reminder.Status.PENDING, deliver_at__lte=now)
            | Q(status=Reminder.Status.SNOOZED, snoozed_until__lte=now)
        )


class Reminder(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for delivery")
        DELIVERED = "delivered", _("Delivered")
        SNOOZED = "snoozed", _("Snoozed")
        DISMISSED = "dismissed", _("Dismissed")
        TASKED = "tasked", _("Turned into a task")

    OPEN_STATUSES = (Status.PENDING, Status.DELIVERED, Status.SNOOZED)

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=30)
    rule = models.ForeignKey(
        "ReminderRule", verbose_name=_("rule"), null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="reminders"
    )
    branch = models.ForeignKey("sysadmin.Branch", verbose_name=_("customer's branch"), on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("manager"), on_delete=models.CASCADE, related_name="reminders"
    )
    # The event: a holding, an identity document, the customer (birthday, rules), an appointment.
    object_id = models.BigIntegerField(_("event object"))
    event_date = models.DateField(_("event date"))
    event_at = models.DateTimeField(_("event time"), null=True, blank=True)
    lead = models.PositiveIntegerField(_("lead"), help_text=_("Days before the event (minutes for timed kinds)."))
    remind_on = models.DateField(_("reminder date"), help_text=_("The local date the reminder is for."))
    business_date = models.DateField(_("business date"))
    deliver_at = models.DateTimeField(_("delivery"))
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    task = models.ForeignKey(
        "workbench.Task", verbose_name=_("task"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acted_at = models.DateTimeField(_("handled"), null=True, blank=True)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handled by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-deliver_at", "id"]
        constraints = [
            # One reminder per event and lead time (a rule's reminders per rule): ON CONFLICT DO NOTHING.
            models.UniqueConstraint(
                fields=["kind", "rule", "object_id", "event_date", "lead"], nulls_distinct=False, name="reminder_one_per_event"
            ),
        ]
        indexes = [
            models.Index(fields=["manager", "status", "deliver_at"], name="reminder_manager_due"),
            models.Index(fields=["deliver_at"], condition=Q(status="pending"), name="reminder_pending_delivery"),
            models.Index(fields=["bank", "branch", "deliver_at"], name="reminder_branch"),
            models.Index(fields=["customer"], name="reminder_customer"),
        ]

    def __str__(self):
        return f"{self.kind} {self.event_date} #{self.pk}"

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    @property
    def title(self):
        return kinds.describe(self.kind, self.event_date, self.details, self.rule.name if self.rule_id else "")


class ReminderRule(models.Model):
    """A reminder kind an administrator adds: a rule kind (workbench.reminders.kinds.RULE_KINDS)
    with its parameters, e.g. {"percent": 20, "days": 30} for "AUM dropped by more than 20% in 30 days"."""

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    rule_kind = models.CharField(_("rule kind"), max_length=30)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["bank", "name"]
        constraints = [models.UniqueConstraint(fields=["bank", "name"], name="reminder_rule_name_unique")]

    def __str__(self):
        return self.name

    def clean(self):
        rule_kind = kinds.RULE_KINDS.get(self.rule_kind)
        if rule_kind is None:
            raise ValidationError({"rule_kind": _("Choose one of the rule kinds.")})
        self.parameters = rule_kind.validate(self.parameters)
