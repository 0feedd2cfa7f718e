"""Filters of the statements list and of a statement's lines."""

import django_filters
from django.utils.translation import gettext_lazy as _

from crossborder.profitsharing.models import (
    ProfitShareRule,
    ProfitStatement,
    ProfitStatementLine,
    RevenueFeedUpload,
    RevenueType,
    Side,
)
from ocrm.widgets import DateInput


class StatementFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=ProfitStatement.Status.choices)
    period_from = django_filters.DateFilter(label=_("from"), field_name="period", lookup_expr="gte", widget=DateInput())
    period_to = django_filters.DateFilter(label=_("to"), field_name="period", lookup_expr="lte", widget=DateInput())

    class Meta:
        model = ProfitStatement
        fields = ()


class StatementLineFilterSet(django_filters.FilterSet):
    side = django_filters.ChoiceFilter(label=_("side"), choices=Side.choices)

    class Meta:
        model = ProfitStatementLine
        fields = ()


class RuleFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=ProfitShareRule.Status.choices)
    revenue_type = django_filters.ChoiceFilter(label=_("revenue type"), choices=RevenueType.choices)

    class Meta:
        model = ProfitShareRule
        fields = ()


class FeedUploadFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=RevenueFeedUpload.Status.choices)
    uploaded_from = django_filters.DateFilter(
        label=_("from"), field_name="uploaded_at__date", lookup_expr="gte", widget=DateInput()
    )
    uploaded_to = django_filters.DateFilter(label=_("to"), field_name="uploaded_at__date", lookup_expr="lte", widget=DateInput())

    class Meta:
        model = RevenueFeedUpload
        fields = ()
