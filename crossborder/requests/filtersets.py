import django_filters
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crossborder.requests.models import CLOSED_STATUSES, CrossBorderRequest, ServiceType
from crossborder.requests.statistics import period_bounds
from ocrm.widgets import DateInput


class RequestFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=CrossBorderRequest.Status.choices)
    service_type = django_filters.ModelChoiceFilter(label=_("service"), queryset=ServiceType.objects.all())
    direction = django_filters.ChoiceFilter(
        label=_("direction"),
        choices=[("sent", _("Sent")), ("received", _("Received"))],
        method="filter_direction",
    )

    partner = django_filters.CharFilter(label=_("bank code"), method="filter_partner")
    # The statistics' drill-downs (codes, never ids): corridor, service, SLA outcome, period.
    from_country = django_filters.CharFilter(label=_("requesting country"), field_name="from_branch__country")
    to_country = django_filters.CharFilter(label=_("receiving country"), field_name="to_branch__country")
    from_bank = django_filters.CharFilter(label=_("requesting bank"), field_name="bank__code")
    from_branch = django_filters.CharFilter(label=_("requesting branch code"), field_name="from_branch__code")
    to_bank = django_filters.CharFilter(label=_("receiving bank"), field_name="to_bank__code")
    to_branch = django_filters.CharFilter(label=_("receiving branch code"), field_name="to_branch__code")
    service = django_filters.CharFilter(label=_("service code"), field_name="service_type__code")
    sla = django_filters.ChoiceFilter(
        label=_("service time"),
        choices=[
            ("met", _("Completed within the service time")),
            ("missed", _("Completed late")),
            ("overdue", _("Open past due")),
        ],
        method="filter_sla",
    )
    submitted_from = django_filters.DateFilter(label=_("submitted from"), method="filter_submitted_from", widget=DateInput())
    submitted_to = django_filters.DateFilter(label=_("submitted to"), method="filter_submitted_to", widget=DateInput())

    class Meta:
        model = CrossBorderRequest
        fields = ["status", "service_type", "direction", "partner"]

    def filter_sla(self, queryset, name, value):
        completed = Q(status=CrossBorderRequest.Status.COMPLETED)
        if value == "met":
            return queryset.filter(completed, closed_at__lte=F("due_at"))
        if value == "missed":
            return queryset.filter(completed, closed_at__gt=F("due_at"))
        return queryset.filter(closed_at__isnull=True, due_at__lt=timezone.now()).exclude(status__in=CLOSED_STATUSES)

    def filter_submitted_from(self, queryset, name, value):
        """From the start of the day in the user's zone (the statistics' period)."""
        start, _end = period_bounds(value, value)
        return queryset.filter(submitted_at__gte=start)

    def filter_submitted_to(self, queryset, name, value):
        _start, end = period_bounds(value, value)
        return queryset.filter(submitted_at__lt=end)

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
