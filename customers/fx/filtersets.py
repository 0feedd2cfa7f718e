"""Filters of the list of postings."""

import django_filters
from django.utils.translation import gettext_lazy

from customers.master.models import FxRate
from ocrm.widgets import DateInput


class PostingFilterSet(django_filters.FilterSet):
    currency = django_filters.CharFilter(label=gettext_lazy("currency"), lookup_expr="iexact")
    source = django_filters.ChoiceFilter(label=gettext_lazy("source"), choices=FxRate.Source.choices)
    date_from = django_filters.DateFilter(
        label=gettext_lazy("business date from"), field_name="as_of", lookup_expr="gte", widget=DateInput()
    )
    date_to = django_filters.DateFilter(
        label=gettext_lazy("business date to"), field_name="as_of", lookup_expr="lte", widget=DateInput()
    )

    class Meta:
        model = FxRate
        fields = ["currency", "source", "date_from", "date_to"]
