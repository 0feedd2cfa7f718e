"""Filters of the schemes list and the team scores."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateInput
from reports.appraisal.models import KpiScheme, PeriodKind, Score
from sysadmin.org.models import Branch
from sysadmin.roles import ROLE_LABELS


class SchemeFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=KpiScheme.Status.choices)
    role = django_filters.ChoiceFilter(label=_("role"), choices=list(ROLE_LABELS.items()))

    class Meta:
        model = KpiScheme
        fields = ()


def _branches(request):
    if request is None:
        return Branch.objects.none()
    return Branch.objects.visible_to(request.user).order_by("path")


class ScoreFilterSet(django_filters.FilterSet):
    period_kind = django_filters.ChoiceFilter(label=_("period"), choices=PeriodKind.choices, empty_label=None)
    period_start = django_filters.DateFilter(label=_("period containing"), method="filter_period", widget=DateInput())
    branch = django_filters.ModelChoiceFilter(label=_("branch"), queryset=_branches, method="filter_branch")

    class Meta:
        model = Score
        fields = ()

    def filter_period(self, queryset, name, value):
        return queryset.filter(period_start__lte=value, period_end__gte=value)

    def filter_branch(self, queryset, name, value):
        return queryset.filter(branch__path__startswith=value.path)
