"""Filters of the approvals inbox."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.widgets import DateInput
from sysadmin.org.filtersets import BranchSubtreeFilter, visible_branches


def decidable_actions(request):
    """(action, label) of the request types this user may decide, for the action filter."""
    if request is None:
        return []
    return sorted(
        (
            (action, str(handler.label))
            for action, handler in approvals.registered_actions().items()
            if request.user.has_perm(handler.checker_perm)
        ),
        key=lambda pair: pair[1],
    )


class InboxFilterSet(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(label=_("type"), choices=[])
    branch = BranchSubtreeFilter(label=_("branch (and below)"), field_name="branch_path", queryset=visible_branches)
    maker = django_filters.CharFilter(
        label=_("requested by"), method="filter_maker", widget=forms.TextInput(attrs={"placeholder": _("user name or name")})
    )
    requested_from = django_filters.DateFilter(
        label=_("requested from"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=DateInput(),
    )
    requested_to = django_filters.DateFilter(
        label=_("requested to"), field_name="created_at", lookup_expr="date__lte", widget=DateInput()
    )

    class Meta:
        model = ChangeRequest
        fields = ["action", "branch", "maker", "requested_from", "requested_to"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["action"].extra["choices"] = decidable_actions(request)

    def filter_maker(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(maker__username__iexact=value) | Q(maker__name_local__icontains=value))


def own_actions(request):
    """(action, label) of every request type, for the maker's filter."""
    return sorted(
        ((action, str(handler.label)) for action, handler in approvals.registered_actions().items()), key=lambda p: p[1]
    )


class MyRequestsFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=ChangeRequest.Status.choices)
    action = django_filters.ChoiceFilter(label=_("type"), choices=[])
    requested_from = InboxFilterSet.base_filters["requested_from"]
    requested_to = InboxFilterSet.base_filters["requested_to"]

    class Meta:
        model = ChangeRequest
        fields = ["status", "action", "requested_from", "requested_to"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["action"].extra["choices"] = own_actions(request)
