"""Pages of reminders: the list (a manager's own, a supervisor's subtree), one reminder with its
actions, and the actions (snooze, dismiss, turn into a task). Thin views: reminders come from
Reminder.objects.visible_to(user) (404 outside the scope); the work is workbench.reminders.services.

Times are shown and read in the person's own zone (their time zone, else their branch's)."""

import contextlib
import zoneinfo

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from ocrm import links
from ocrm.lists.views import ScopedListView
from ocrm.pages import ServiceActionView, ServiceMixin
from workbench.reminders import services
from workbench.reminders.filtersets import ReminderFilterSet
from workbench.reminders.forms import DismissForm, SnoozeForm
from workbench.reminders.models import Reminder
from workbench.reminders.tables import ReminderTable


class LocalTimeMixin:
    """Dates and times of the page in the person's own zone."""

    def dispatch(self, request, *args, **kwargs):
        stack = contextlib.ExitStack()
        if request.user.is_authenticated:
            stack.enter_context(timezone.override(zoneinfo.ZoneInfo(request.user.effective_timezone)))
        with stack:
            return super().dispatch(request, *args, **kwargs)


class ReminderListView(LocalTimeMixin, ScopedListView):
    model = Reminder
    table_class = ReminderTable
    filterset_class = ReminderFilterSet
    permission_required = "workbench.view_reminder"
    title = gettext_lazy("Reminders")
    export_filename = "reminders"
    select_related = ("customer", "manager", "rule")

    def get_base_queryset(self):
        return super().get_base_queryset().select_related(*self.select_related)


class ReminderDetailView(LocalTimeMixin, ServiceMixin, View):
    permission_required = "workbench.view_reminder"
    model = Reminder
    select_related = ("customer", "manager", "rule", "task")

    def get(self, request, pk):
        self.load_object()
        return render(
            request,
            "workbench/reminders/detail.html",
            {
                "title": self.object.title,
                "reminder": self.object,
                "snooze_form": SnoozeForm(),
                "dismiss_form": DismissForm(),
                "may_act": self.object.is_open and request.user.has_perm("workbench.change_reminder"),
            },
        )


class ReminderActionView(LocalTimeMixin, ServiceActionView):
    permission_required = ("workbench.view_reminder", "workbench.change_reminder")
    model = Reminder
    select_related = ("customer", "manager", "rule")

    def get_success_url(self, result):
        return reverse("workbench:reminder", args=[self.kwargs["pk"]])


class SnoozeView(ReminderActionView):
    form_class = SnoozeForm

    def perform(self):
        data = self.form.cleaned_data
        return services.snooze(self.object, self.request.user, data["until"], data["reason"])

    def get_success_message(self, reminder):
        return _("Snoozed until %(until)s.") % {"until": timezone.localtime(reminder.snoozed_until).strftime("%Y-%m-%d %H:%M")}


class DismissView(ReminderActionView):
    form_class = DismissForm

    def perform(self):
        return services.dismiss(self.object, self.request.user, self.form.cleaned_data["reason"])

    def get_success_message(self, reminder):
        return _("The reminder was dismissed.")


class TurnIntoTaskView(ReminderActionView):
    def perform(self):
        return services.turn_into_task(self.object, self.request.user)

    def get_success_message(self, reminder):
        return _("Task created: %(title)s") % {"title": reminder.task.title}

    def get_success_url(self, reminder):
        return links.url("task", reminder.task_id)  # the new task: complete it or give it a time
