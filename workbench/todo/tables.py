"""Tables of the task lists (the pages and their XLSX export share them)."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ocrm import links
from ocrm.lists.tables import BaseTable
from workbench.todo.models import Task


def _mask(name):
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in str(name or "").split())


class TaskTable(BaseTable):
    select = tables.Column(verbose_name="", empty_values=(), orderable=False, exclude_from_export=True, accessor="pk")
    title = tables.Column(verbose_name=_("title"), linkify=lambda record: links.url("task", record.pk))
    customer = tables.Column(verbose_name=_("customer"), order_by=("customer__number",), accessor="customer__number")
    customer_name = tables.Column(verbose_name=_("name"), accessor="customer__name_local", orderable=False)
    due_at = tables.Column(verbose_name=_("due"), order_by=("due_at",))
    priority = tables.Column(verbose_name=_("priority"))
    status = tables.Column(verbose_name=_("status"))
    source = tables.Column(verbose_name=_("source"))

    class Meta(BaseTable.Meta):
        model = Task
        fields = ("select", "title", "customer", "customer_name", "due_at", "priority", "status", "source")

    def render_select(self, record):
        if record.status != Task.Status.OPEN:
            return ""
        return format_html(
            '<input type="checkbox" class="form-check-input task-select" name="tasks" value="{}" '
            'form="bulk-form" aria-label="{}">',
            record.pk,
            record.title,
        )

    def render_customer_name(self, value):
        return _mask(value)

    def value_customer_name(self, value):
        return _mask(value)

    def render_due_at(self, record):
        if record.due_date is None:
            return "—"
        text = record.due_date.isoformat() + (f" {record.due_time:%H:%M}" if record.due_time else "")
        if record.status == Task.Status.OPEN and record.due_at <= timezone.now():
            return format_html(
                '<span class="text-danger fw-semibold">{}</span> <span class="badge text-bg-danger">{}</span>', text, _("overdue")
            )
        return text

    def value_due_at(self, record):
        if record.due_date is None:
            return ""
        return record.due_date.isoformat() + (f" {record.due_time:%H:%M}" if record.due_time else "")

    def render_priority(self, record):
        return record.get_priority_display()

    def value_priority(self, record):
        return record.get_priority_display()


class TeamTaskTable(TaskTable):
    assignee = tables.Column(verbose_name=_("assignee"), accessor="assignee__username", order_by=("assignee__username",))

    class Meta(TaskTable.Meta):
        fields = ("select", "title", "assignee", "customer", "customer_name", "due_at", "priority", "status", "source")
