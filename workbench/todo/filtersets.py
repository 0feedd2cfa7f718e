"""Filters of the task lists."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateInput
from workbench.todo.models import Task


class TaskFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=Task.Status.choices)
    priority = django_filters.ChoiceFilter(label=_("priority"), choices=Task.Priority.choices)
    source = django_filters.ChoiceFilter(label=_("source"), choices=Task.Source.choices)
    overdue = django_filters.BooleanFilter(label=_("overdue"), method="filter_overdue")
    due_from = django_filters.DateFilter(label=_("due from"), field_name="due_date", lookup_expr="gte", widget=DateInput())
    due_to = django_filters.DateFilter(label=_("due until"), field_name="due_date", lookup_expr="lte", widget=DateInput())
    customer = django_filters.CharFilter(label=_("customer number"), field_name="customer__number", lookup_expr="iexact")
    title = django_filters.CharFilter(label=_("title"), lookup_expr="icontains")

    class Meta:
        model = Task
        fields = ["status", "priority", "source", "overdue", "due_from", "due_to", "customer", "title"]

    def filter_overdue(self, queryset, name, value):
        now = timezone.now()
        if value:
            return queryset.overdue(now)
        return queryset.exclude(status=Task.Status.OPEN, due_at__lte=now)


class TeamTaskFilterSet(TaskFilterSet):
    assignee = django_filters.CharFilter(label=_("assignee (user name)"), field_name="assignee__username", lookup_expr="iexact")

    class Meta(TaskFilterSet.Meta):
        fields = [*TaskFilterSet.Meta.fields, "assignee"]
