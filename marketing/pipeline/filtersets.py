"""Filters of the opportunity list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from marketing.pipeline.models import Opportunity
from ocrm.widgets import DateInput


class OpportunityFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=Opportunity.Status.choices)
    source = django_filters.ChoiceFilter(label=_("source"), choices=Opportunity.Source.choices)
    stage = django_filters.CharFilter(label=_("stage"), field_name="stage__code", lookup_expr="iexact")
    owner = django_filters.CharFilter(label=_("manager (user name)"), field_name="owner__username", lookup_expr="iexact")
    customer = django_filters.CharFilter(label=_("customer number"), field_name="customer__number", lookup_expr="iexact")
    close_from = django_filters.DateFilter(
        label=_("closes from"), field_name="expected_close", lookup_expr="gte", widget=DateInput()
    )
    close_to = django_filters.DateFilter(
        label=_("closes until"), field_name="expected_close", lookup_expr="lte", widget=DateInput()
    )
    title = django_filters.CharFilter(label=_("title"), lookup_expr="icontains")

    class Meta:
        model = Opportunity
        fields = ["status", "source", "stage", "owner", "customer", "close_from", "close_to", "title"]
