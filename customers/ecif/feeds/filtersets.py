"""Filters of the feed-load list."""

import django_filters
from django.utils.translation import gettext_lazy

from customers.ecif.feeds.models import FeedLoad
from ocrm.widgets import DateInput


class FeedLoadFilterSet(django_filters.FilterSet):
    source_system = django_filters.CharFilter(label=gettext_lazy("source system"), lookup_expr="iexact")
    feed = django_filters.ChoiceFilter(label=gettext_lazy("feed"), choices=FeedLoad.Feed.choices)
    status = django_filters.ChoiceFilter(label=gettext_lazy("status"), choices=FeedLoad.Status.choices)
    business_date = django_filters.DateFilter(label=gettext_lazy("business date"), widget=DateInput())

    class Meta:
        model = FeedLoad
        fields = ["source_system", "feed", "status", "business_date"]
