"""Filters of the import batch list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateInput
from sysadmin.imports.models import ImportBatch


class ImportBatchFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("kind"), choices=ImportBatch.Kind.choices)
    status = django_filters.ChoiceFilter(label=_("status"), choices=ImportBatch.Status.choices)
    source = django_filters.ChoiceFilter(label=_("source"), choices=ImportBatch.Source.choices)
    original_name = django_filters.CharFilter(label=_("file name"), lookup_expr="icontains")
    created_from = django_filters.DateFilter(
        label=_("uploaded from"), field_name="created_at", lookup_expr="date__gte", widget=DateInput()
    )
    created_to = django_filters.DateFilter(
        label=_("uploaded until"), field_name="created_at", lookup_expr="date__lte", widget=DateInput()
    )

    class Meta:
        model = ImportBatch
        fields = ["kind", "status", "source", "original_name"]
