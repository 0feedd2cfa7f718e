"""Filters of the "shared with me" and "shared by me" lists."""

import django_filters
from django.utils.translation import gettext_lazy

from customers.ownership.sharing.models import CustomerShare


class ShareFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("status"), choices=CustomerShare.Status.choices)
    can_edit = django_filters.BooleanFilter(label=gettext_lazy("may edit"))
    customer = django_filters.CharFilter(
        label=gettext_lazy("customer number"), field_name="customer__number", lookup_expr="iexact"
    )

    class Meta:
        model = CustomerShare
        fields = ["status", "can_edit", "customer"]
