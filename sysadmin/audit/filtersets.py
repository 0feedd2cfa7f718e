"""Filters of the audit-log page. Dates are the user's calendar days: "from 3 May" starts
at midnight of 3 May in the user's time zone, so an auditor in London and one in Shanghai
both get exactly the entries of the days they typed."""

import datetime

import django_filters
from django import forms
from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog

# The apps whose models can appear in the log (business apps, and the few framework
# models the audit registry watches).
_OBJECT_TYPE_APPS = ("ocrm", "sysadmin", "customers", "marketing", "workbench", "crossborder", "reports")


def object_type_choices():
    models = {m for m in apps.get_models() if m._meta.app_label in _OBJECT_TYPE_APPS}
    models |= set(audit.registered_models())
    choices = [(m._meta.label_lower, f"{m._meta.app_config.verbose_name} · {m._meta.verbose_name}") for m in models]
    return sorted(choices, key=lambda choice: str(choice[1]).lower())


def local_midnight(day):
    """The first instant of `day` in the active (the user's) time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), timezone.get_current_timezone())


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class IPAddressFilter(django_filters.CharFilter):
    """An exact address; anything else is a form error rather than a database error."""

    field_class = forms.GenericIPAddressField


class AuditLogFilterSet(django_filters.FilterSet):
    user = django_filters.CharFilter(label=_("user name"), field_name="actor_name", lookup_expr="icontains")
    action = django_filters.ChoiceFilter(label=_("action"), choices=AuditLog.Action.choices)
    object_type = django_filters.ChoiceFilter(label=_("object type"), choices=object_type_choices)
    object_id = django_filters.CharFilter(label=_("object id"), method="filter_object_id")
    date_from = django_filters.DateFilter(label=_("from (date)"), method="filter_date_from", widget=DateInput)
    date_to = django_filters.DateFilter(label=_("to (date, inclusive)"), method="filter_date_to", widget=DateInput)
    ip = IPAddressFilter(label=_("IP address"), field_name="ip")
    q = django_filters.CharFilter(label=_("object contains"), field_name="object_repr", lookup_expr="icontains")

    class Meta:
        model = AuditLog
        fields = ()

    def filter_object_id(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(object_id=value) if value else queryset

    # Ranges on the indexed column itself (no ::date cast), half-open at the end.
    def filter_date_from(self, queryset, name, value):
        return queryset.filter(at__gte=local_midnight(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(at__lt=local_midnight(value + datetime.timedelta(days=1)))
