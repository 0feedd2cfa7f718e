"""Filters of the merge review queue and of the merge history."""

import django_filters
from django.utils.translation import gettext_lazy

from customers.ecif.matching.models import MatchCandidate, MergeRecord


class CandidateFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=MatchCandidate.Status.choices, empty_label=gettext_lazy("any status"), label=gettext_lazy("status")
    )
    min_score = django_filters.NumberFilter(field_name="score", lookup_expr="gte", label=gettext_lazy("score at least"))

    class Meta:
        model = MatchCandidate
        fields = ("status", "min_score")


class MergeFilterSet(django_filters.FilterSet):
    merged_number = django_filters.CharFilter(label=gettext_lazy("merged customer number"))
    active = django_filters.BooleanFilter(field_name="unmerged_at", lookup_expr="isnull", label=gettext_lazy("still merged"))

    class Meta:
        model = MergeRecord
        fields = ("merged_number", "active")
