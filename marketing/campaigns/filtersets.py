"""Filters of the campaign lists."""

import django_filters
from django.utils.translation import gettext_lazy as _

from customers.consent.policy import RULES
from marketing.campaigns.models import Campaign, CampaignMember


class CampaignFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=Campaign.Status.choices)
    name = django_filters.CharFilter(label=_("name"), lookup_expr="icontains")

    class Meta:
        model = Campaign
        fields = ["status", "name"]


class ExcludedFilterSet(django_filters.FilterSet):
    excluded_by = django_filters.ChoiceFilter(
        label=_("excluded by"), choices=[*RULES.items(), ("no_manager", _("No manager"))], method="filter_excluded_by"
    )

    class Meta:
        model = CampaignMember
        fields = ["excluded_by"]

    def filter_excluded_by(self, qs, name, value):
        if value == "no_manager":
            return qs.filter(excluded_by="", arm=CampaignMember.Arm.TARGET, manager__isnull=True)
        return qs.filter(excluded_by=value) if value else qs
