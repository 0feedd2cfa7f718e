"""Filters of the publisher's list of announcements."""

import django_filters
from django.utils.translation import gettext_lazy

from workbench.announcements.models import Announcement


class ManageFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("status"), choices=Announcement.Status.choices)
    kind = django_filters.ChoiceFilter(label=gettext_lazy("kind"), choices=Announcement.Kind.choices)
    title = django_filters.CharFilter(label=gettext_lazy("title"), lookup_expr="icontains")

    class Meta:
        model = Announcement
        fields = ["status", "kind", "title"]
