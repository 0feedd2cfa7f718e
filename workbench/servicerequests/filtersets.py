"""Filters of the service request list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateInput
from sysadmin.org.filtersets import BranchSubtreeFilter, visible_branches
from workbench.servicerequests.models import ServiceRequest


class ServiceRequestFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=ServiceRequest.Status.choices)
    reference = django_filters.CharFilter(label=_("reference"), lookup_expr="iexact")
    customer = django_filters.CharFilter(label=_("customer"), field_name="customer__number", lookup_expr="iexact")
    branch = BranchSubtreeFilter(label=_("branch (and below)"), field_name="customer__branch__path", queryset=visible_branches)
    created_from = django_filters.DateFilter(
        label=_("from"), field_name="created_at__date", lookup_expr="gte", widget=DateInput()
    )
    created_to = django_filters.DateFilter(label=_("to"), field_name="created_at__date", lookup_expr="lte", widget=DateInput())

    class Meta:
        model = ServiceRequest
        fields = ()
