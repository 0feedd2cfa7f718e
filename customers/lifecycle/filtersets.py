"""Filters of the "Lifecycle changes" page."""

import django_filters
from django.utils.translation import gettext_lazy as _

from customers.lifecycle.models import LifecycleChange
from customers.master.models import Customer
from ocrm.widgets import DateInput


class LifecycleChangeFilterSet(django_filters.FilterSet):
    business_date = django_filters.DateFilter(label=_("business date"), widget=DateInput())
    stage_from = django_filters.ChoiceFilter(label=_("from"), choices=Customer.Lifecycle.choices)
    stage_to = django_filters.ChoiceFilter(label=_("to"), choices=Customer.Lifecycle.choices)

    class Meta:
        model = LifecycleChange
        fields = ["business_date", "stage_from", "stage_to"]
