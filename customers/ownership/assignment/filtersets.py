"""Filters of the branch pool."""

import django_filters
from django.utils.translation import gettext_lazy

from customers.master.models import Customer
from customers.master.search import filter_by_name
from sysadmin.org.filtersets import BranchSubtreeFilter, visible_branches


class PoolFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("Number or name"), method="filter_q")
    branch = BranchSubtreeFilter(label=gettext_lazy("Within branch"), field_name="branch__path", queryset=visible_branches)
    tier = django_filters.ChoiceFilter(label=gettext_lazy("tier"), choices=Customer.Tier.choices)

    class Meta:
        model = Customer
        fields = ()

    def filter_q(self, qs, name, value):
        value = (value or "").strip()
        if not value:
            return qs
        exact = qs.filter(number=value)
        return exact if exact.exists() else filter_by_name(qs, value)
