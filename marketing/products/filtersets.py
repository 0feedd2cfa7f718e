"""Filters of the product catalog lists."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.master.models import Customer, Product
from marketing.products.models import Bundle


class ProductFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("code or name"), method="filter_q")
    product_type = django_filters.ChoiceFilter(label=_("type"), choices=Product.Type.choices)
    risk_level = django_filters.ChoiceFilter(label=_("risk level"), choices=Customer.Risk.choices)
    is_active = django_filters.BooleanFilter(label=_("active"))

    class Meta:
        model = Product
        fields = ["q", "product_type", "risk_level", "is_active"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(code__icontains=value) | Q(name_local__icontains=value) | Q(name_en__icontains=value))


class BundleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("code or name"), method="filter_q")
    is_active = django_filters.BooleanFilter(label=_("active"))

    class Meta:
        model = Bundle
        fields = ["q", "is_active"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(code__icontains=value) | Q(name_local__icontains=value) | Q(name_en__icontains=value))
