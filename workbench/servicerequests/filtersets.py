"""Filters of the service request list."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateInput
from sysadmin.org.filtersets import BranchSubtreeFilter, visible_branches, yes_no_select
from sysadmin.org.models import Branch
from workbench.servicerequests.models import ServiceRequest, ServiceRequestType


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


def subtree_branches(request):
    """The branches of the user's subtree (performers have no branch scope of their own: the queue's rule)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.branch_id is None:
        return Branch.objects.none()
    return (
        Branch.objects.filter(bank_id=user.bank_id, path__startswith=user.branch.path)
        .only("id", "code", "name_local", "path")
        .order_by("path")
    )


class ProcessingQueueFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("status"),
        choices=[(s.value, s.label) for s in (ServiceRequest.Status.CONFIRMED, ServiceRequest.Status.PROCESSING)],
    )
    reference = django_filters.CharFilter(label=_("reference"), lookup_expr="iexact")
    branch = BranchSubtreeFilter(label=_("branch (and below)"), field_name="processing_branch__path", queryset=subtree_branches)
    overdue = django_filters.BooleanFilter(label=_("overdue"), method="filter_overdue", widget=yes_no_select())

    class Meta:
        model = ServiceRequest
        fields = ()

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        now = timezone.now()
        return queryset.filter(step_due_at__lte=now) if value else queryset.exclude(step_due_at__lte=now)


class RequestTypeFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("name"), lookup_expr="icontains")
    active = django_filters.BooleanFilter(label=_("active"), widget=yes_no_select())

    class Meta:
        model = ServiceRequestType
        fields = ()
