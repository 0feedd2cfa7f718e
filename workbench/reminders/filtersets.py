"""Filters of the reminders list: kind, status, the reminder's local date and the event's date."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateInput
from workbench.reminders import kinds
from workbench.reminders.models import Reminder


class ReminderFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("kind"), choices=kinds.choices)
    status = django_filters.ChoiceFilter(label=_("status"), choices=Reminder.Status.choices)
    date_from = django_filters.DateFilter(
        label=_("reminder date from"), field_name="remind_on", lookup_expr="gte", widget=DateInput
    )
    date_to = django_filters.DateFilter(label=_("reminder date to"), field_name="remind_on", lookup_expr="lte", widget=DateInput)
    event_from = django_filters.DateFilter(
        label=_("event date from"), field_name="event_date", lookup_expr="gte", widget=DateInput
    )
    event_to = django_filters.DateFilter(label=_("event date to"), field_name="event_date", lookup_expr="lte", widget=DateInput)
    customer = django_filters.CharFilter(label=_("customer number"), field_name="customer__number", lookup_expr="iexact")

    class Meta:
        model = Reminder
        fields = ["kind", "status", "date_from", "date_to", "event_from", "event_to", "customer"]
