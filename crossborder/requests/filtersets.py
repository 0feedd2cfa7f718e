import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crossborder.requests.models import CrossBorderRequest, ServiceType


class RequestFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=CrossBorderRequest.Status.choices)
    service_type = django_filters.ModelChoiceFilter(label=_("service"), queryset=ServiceType.objects.all())
    direction = django_filters.ChoiceFilter(
        label=_("direction"),
        choices=[("sent", _("Sent")), ("received", _("Received"))],
        method="filter_direction",
    )

    partner = django_filters.CharFilter(label=_("bank code"), method="filter_partner")

    class Meta:
        model = CrossBorderRequest
        fields = ["status", "service_type", "direction", "partner"]

    def filter_partner(self, queryset, name, value):
        """The statistics' drill-down: the requests exchanged with the bank of this code."""
        return queryset.filter(Q(bank__code=value) | Q(to_bank__code=value))

    def filter_direction(self, queryset, name, value):
        user = self.request.user
        if value == "sent":
            return queryset.filter(bank_id=user.bank_id).exclude(to_branch_id=user.branch_id)
        if value == "received":
            return queryset.filter(to_bank_id=user.bank_id, to_branch_id=user.branch_id)
        return queryset
