"""Tasks (工作任务): one row per thing a person must do, with or without a customer.

Every app creates tasks through workbench.todo.services (manual tasks, the next action of a
service contact, reminders, campaigns, service requests), never by writing rows itself.

A task is due on a date in its assignee's own calendar, optionally at a local time. `due_at` is
that moment as an instant (the start of the next local day for a task without a time), computed
by the service from the assignee's zone, so "overdue" is one indexed comparison with now() and
flips at the assignee's local midnight, not at UTC midnight."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import ScopedQuerySet


class TaskQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "assignee__branch"
    scope_owner_field = "assignee"
    scope_guardian_grants = False

    def open(self):
        return self.filter(status=Task.Status.OPEN)

    def overdue(self, now=None):
        return self.open().filter(due_at__lte=now or timezone.now())


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Created by hand")
        CONTACT = "contact", _("Next action of a service contact")
        REMINDER = "reminder", _("Reminder")
        CAMPAIGN = "campaign", _("Campaign")
        SERVICE_REQUEST = "service_request", _("Service request")
        CROSSBORDER = "crossborder", _("Cross-border request")
        OPPORTUNITY = "opportunity", _("Opportunity")
        PROSPECT = "prospect", _("Prospect")
        OTHER = "other", _("Other")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT, related_name="tasks"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks_created",
        help_text=_("Empty for tasks the system made (reminders, campaigns)."),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    due_time = models.TimeField(_("due time"), null=True, blank=True, help_text=_("In the assignee's local time."))
    due_at = models.DateTimeField(_("due"), null=True, blank=True, editable=False)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    # What made the task, unique per bank and source (e.g. "campaign:12:customer:345"): creating it
    # again (a rerun, a double submit) returns the task that exists.
    source_key = models.CharField(_("source reference"), max_length=150, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "-priority", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_due"),
            models.Index(fields=["customer", "status"], name="task_customer_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "source", "source_key"], condition=~models.Q(source_key=""), name="task_source_unique"
            ),
        ]
        permissions = [("reassign_task", "Reassign and bulk-complete the tasks of the team (supervisor)")]

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.status == self.Status.OPEN
