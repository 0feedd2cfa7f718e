"""The auditors' search over every conversation of the bank."""

import django_filters
from django.utils.translation import gettext_lazy as _

from workbench.messaging import services
from workbench.messaging.models import Message


class AuditSearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Text"), method="filter_text", max_length=200)
    sender = django_filters.CharFilter(label=_("Sender (user name)"), field_name="sender__username", lookup_expr="iexact")
    conversation = django_filters.NumberFilter(label=_("Conversation"), field_name="conversation_id")

    class Meta:
        model = Message
        fields = ["q", "sender", "conversation"]

    def filter_text(self, queryset, name, value):
        return services.search(queryset, value) if value.strip() else queryset
