"""The reminders list (its XLSX export shares the table)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from ocrm import links
from ocrm.lists.tables import BaseTable
from workbench.reminders import kinds
from workbench.reminders.models import Reminder


class ReminderTable(BaseTable):
    deliver_at = tables.DateTimeColumn(verbose_name=_("delivery"), format="Y-m-d H:i")
    kind = tables.Column(verbose_name=_("kind"), accessor="kind")
    title = tables.Column(
        verbose_name=_("reminder"), accessor="title", orderable=False, linkify=lambda record: links.url("reminder", record.pk)
    )
    customer = tables.Column(
        verbose_name=_("customer"), order_by=("customer__number",), linkify=lambda record: record.customer.get_absolute_url()
    )
    event_date = tables.DateColumn(verbose_name=_("event date"), format="Y-m-d")
    manager = tables.Column(verbose_name=_("manager"), accessor="manager__display_name", order_by=("manager__username",))
    status = tables.Column(verbose_name=_("status"))
    reason = tables.Column(verbose_name=_("reason"))

    class Meta(BaseTable.Meta):
        model = Reminder
        fields = ("deliver_at", "kind", "title", "customer", "event_date", "manager", "status", "reason")

    def render_kind(self, record):
        return dict(kinds.choices()).get(record.kind, record.kind)

    def value_kind(self, record):
        return str(self.render_kind(record))
