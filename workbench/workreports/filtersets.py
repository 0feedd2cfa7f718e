"""Filters of the work report list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateInput
from sysadmin.org.filtersets import BranchSubtreeFilter, visible_branches
from workbench.workreports.models import WorkReport


class WorkReportFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("kind"), choices=WorkReport.Kind.choices)
    status = django_filters.ChoiceFilter(label=_("status"), choices=WorkReport.Status.choices)
    author = django_filters.CharFilter(label=_("author"), field_name="author__username", lookup_expr="iexact")
    branch = BranchSubtreeFilter(label=_("branch (and below)"), field_name="author__branch__path", queryset=visible_branches)
    period_from = django_filters.DateFilter(label=_("from"), field_name="period_start", lookup_expr="gte", widget=DateInput())
    period_to = django_filters.DateFilter(label=_("to"), field_name="period_start", lookup_expr="lte", widget=DateInput())

    class Meta:
        model = WorkReport
        fields = ()
