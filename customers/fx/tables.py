"""The list of postings (every posted rate of the bank, newest first)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy

from customers.master.models import FxRate
from ocrm.lists.tables import BaseTable


def _rate_column(label):
    return tables.Column(verbose_name=label, attrs={"td": {"class": "text-end font-monospace"}})


class PostingTable(BaseTable):
    currency = tables.Column(
        verbose_name=gettext_lazy("currency"), linkify=lambda record: reverse("customers:fx_detail", args=[record.pk])
    )
    buy_transfer = _rate_column(gettext_lazy("transfer buying"))
    sell_transfer = _rate_column(gettext_lazy("transfer selling"))
    buy_cash = _rate_column(gettext_lazy("cash buying"))
    sell_cash = _rate_column(gettext_lazy("cash selling"))
    rate = _rate_column(gettext_lazy("middle rate"))
    effective_at = tables.DateTimeColumn(verbose_name=gettext_lazy("effective from"), format="Y-m-d H:i")
    source = tables.Column(verbose_name=gettext_lazy("source"))
    posted_by = tables.Column(
        verbose_name=gettext_lazy("posted by"), accessor="posted_by__display_name", order_by=("posted_by__username",)
    )

    class Meta(BaseTable.Meta):
        model = FxRate
        fields = (
            "currency",
            "buy_transfer",
            "sell_transfer",
            "buy_cash",
            "sell_cash",
            "rate",
            "effective_at",
            "source",
            "posted_by",
        )
        order_by = ("-effective_at",)
