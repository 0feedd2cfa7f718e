"""Filters of the prospect list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from marketing.prospects.models import Prospect
from ocrm.widgets import DateInput


class ProspectFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=Prospect.Status.choices)
    source = django_filters.ChoiceFilter(label=_("source"), choices=Prospect.Source.choices)
    owner = django_filters.CharFilter(label=_("manager (user name)"), field_name="owner__username", lookup_expr="iexact")
    name = django_filters.CharFilter(label=_("name"), lookup_expr="icontains")
    created_from = django_filters.DateFilter(
        label=_("created from"), field_name="created_at__date", lookup_expr="gte", widget=DateInput()
    )
    created_to = django_filters.DateFilter(
        label=_("created until"), field_name="created_at__date", lookup_expr="lte", widget=DateInput()
    )

    class Meta:
        model = Prospect
        fields = ["status", "source", "owner", "name", "created_from", "created_to"]
