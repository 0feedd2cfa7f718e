"""Tables of the campaign pages (the pages and their XLSX export share them)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from customers.consent.policy import rule_label
from marketing.campaigns.models import Campaign, CampaignMember
from ocrm import links
from ocrm.lists.tables import BaseTable


def _mask(name):
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in str(name or "").split())


class CampaignTable(BaseTable):
    name = tables.Column(verbose_name=_("name"), linkify=lambda record: links.url("campaign", record.pk))
    status = tables.Column(verbose_name=_("status"))
    starts_on = tables.Column(verbose_name=_("starts"))
    ends_on = tables.Column(verbose_name=_("ends"))
    branch = tables.Column(verbose_name=_("owning branch"), accessor="branch__name_local", order_by=("branch__path",))

    class Meta(BaseTable.Meta):
        model = Campaign
        fields = ("name", "status", "starts_on", "ends_on", "branch")


class ExcludedTable(BaseTable):
    customer = tables.Column(verbose_name=_("customer"), accessor="customer__number", order_by=("customer__number",))
    customer_name = tables.Column(verbose_name=_("name"), accessor="customer__name_local", orderable=False)
    branch = tables.Column(verbose_name=_("branch"), accessor="branch__name_local", order_by=("branch__path",))
    excluded_by = tables.Column(verbose_name=_("excluded by"))

    class Meta(BaseTable.Meta):
        model = CampaignMember
        fields = ("customer", "customer_name", "branch", "excluded_by")
        empty_text = _("Nobody is excluded.")

    def render_customer_name(self, value):
        return _mask(value)

    def value_customer_name(self, value):
        return _mask(value)

    def render_excluded_by(self, value):
        return rule_label(value) if value else _("No manager")

    def value_excluded_by(self, value):
        return str(self.render_excluded_by(value))
