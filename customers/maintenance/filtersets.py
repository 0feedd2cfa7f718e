"""Filters of the batch-maintenance list."""

import django_filters
from django.utils.translation import gettext_lazy

from customers.maintenance.models import MaintenanceBatch


class MaintenanceBatchFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("status"), choices=MaintenanceBatch.Status.choices)
    original_name = django_filters.CharFilter(label=gettext_lazy("file name"), lookup_expr="icontains")

    class Meta:
        model = MaintenanceBatch
        fields = ["status", "original_name"]
