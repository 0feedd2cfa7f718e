"""Filters of the outbox search: customer (their number) or staff member (user name), number or
address, state, channel, date range."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ocrm.outbox.models import Channel, MessageTemplate, OutboundMessage, State
from ocrm.outbox.services import normalise_address
from ocrm.widgets import DateInput


class MessageFilterSet(django_filters.FilterSet):
    recipient = django_filters.CharFilter(
        label=_("customer number or user name"), field_name="recipient_ref", lookup_expr="exact"
    )
    number = django_filters.CharFilter(label=_("number or e-mail address"), method="filter_number")
    state = django_filters.ChoiceFilter(label=_("state"), choices=State.choices)
    channel = django_filters.ChoiceFilter(label=_("channel"), choices=Channel.choices)
    created_from = django_filters.DateFilter(
        label=_("queued from"), field_name="created_at", lookup_expr="date__gte", widget=DateInput()
    )
    created_to = django_filters.DateFilter(
        label=_("queued until"), field_name="created_at", lookup_expr="date__lte", widget=DateInput()
    )

    class Meta:
        model = OutboundMessage
        fields = ["recipient", "number", "state", "channel", "created_from", "created_to"]

    def filter_number(self, queryset, name, value):
        return queryset.filter(address=normalise_address(value))


class TemplateFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(label=_("code"), lookup_expr="icontains")
    channel = django_filters.ChoiceFilter(label=_("channel"), choices=Channel.choices)

    class Meta:
        model = MessageTemplate
        fields = ["code", "channel"]
