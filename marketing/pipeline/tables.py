"""Table of the opportunity list (the page and its XLSX export share it)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from marketing.pipeline.models import Opportunity
from ocrm.lists.tables import BaseTable


class OpportunityTable(BaseTable):
    title = tables.Column(verbose_name=_("title"))
    customer = tables.Column(verbose_name=_("customer"), accessor="customer__number", order_by=("customer__number",))
    owner = tables.Column(verbose_name=_("manager"), accessor="owner__username", order_by=("owner__username",))
    stage = tables.Column(verbose_name=_("stage"), accessor="stage__name", order_by=("stage__position",))
    amount = tables.Column(verbose_name=_("amount"))
    currency = tables.Column(verbose_name=_("currency"))
    probability = tables.Column(verbose_name=_("probability (%)"))
    expected_close = tables.Column(verbose_name=_("expected close date"))
    status = tables.Column(verbose_name=_("status"))
    source = tables.Column(verbose_name=_("source"))

    class Meta(BaseTable.Meta):
        model = Opportunity
        fields = (
            "title",
            "customer",
            "owner",
            "stage",
            "amount",
            "currency",
            "probability",
            "expected_close",
            "status",
            "source",
        )

    def render_stage(self, record):
        return record.stage.label

    def value_stage(self, record):
        return str(record.stage.label)
