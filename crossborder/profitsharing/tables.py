"""The statements list and a statement's lines (their XLSX exports share them)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crossborder.profitsharing.models import ProfitShareRule, ProfitStatement, ProfitStatementLine, RevenueFeedUpload
from ocrm.lists.tables import BaseTable


class StatementTable(BaseTable):
    period = tables.DateColumn(
        verbose_name=_("month"), format="Y-m", linkify=lambda record: reverse("crossborder:profit_statement", args=[record.pk])
    )
    bank = tables.Column(verbose_name=_("bank"), accessor="bank__name_local", order_by=("bank__code",))
    counterpart = tables.Column(
        verbose_name=_("counterpart"), accessor="counterpart__name_local", order_by=("counterpart__code",)
    )
    currency = tables.Column(verbose_name=_("currency"))
    total_minor = tables.Column(verbose_name=_("total (minor units)"))
    status = tables.Column(verbose_name=_("status"))

    class Meta(BaseTable.Meta):
        model = ProfitStatement
        fields = ()
        sequence = ("period", "bank", "counterpart", "currency", "total_minor", "status")


class StatementLineTable(BaseTable):
    event = tables.Column(
        verbose_name=_("source reference"), accessor="event__source_reference", order_by=("event__source_reference",)
    )
    booked_on = tables.DateColumn(verbose_name=_("booking date"), accessor="event__booked_on", format="Y-m-d")
    side = tables.Column(verbose_name=_("side"))
    branch = tables.Column(verbose_name=_("branch"), accessor="branch__name_local", order_by=("branch__path",))
    event_amount_minor = tables.Column(verbose_name=_("revenue (minor units, event currency)"))
    event_currency = tables.Column(verbose_name=_("event currency"))
    fx_rate_value = tables.Column(verbose_name=_("rate"))
    fx_rate_date = tables.DateColumn(verbose_name=_("rate date"), format="Y-m-d")
    amount_minor = tables.Column(verbose_name=_("share (minor units)"))
    reversal_reason = tables.Column(verbose_name=_("reason"))

    class Meta(BaseTable.Meta):
        model = ProfitStatementLine
        fields = ()
        sequence = (
            "event",
            "booked_on",
            "side",
            "branch",
            "event_amount_minor",
            "event_currency",
            "fx_rate_value",
            "fx_rate_date",
            "amount_minor",
            "reversal_reason",
        )


class RuleTable(BaseTable):
    name = tables.Column(verbose_name=_("name"), linkify=lambda record: reverse("crossborder:profit_rule", args=[record.pk]))
    revenue_type = tables.Column(verbose_name=_("revenue type"))
    fee_type = tables.Column(verbose_name=_("fee type"))
    effective_from = tables.DateColumn(verbose_name=_("effective from"), format="Y-m-d")
    effective_to = tables.DateColumn(verbose_name=_("effective to"), format="Y-m-d")
    priority = tables.Column(verbose_name=_("priority"))
    status = tables.Column(verbose_name=_("status"))

    class Meta(BaseTable.Meta):
        model = ProfitShareRule
        fields = ()
        sequence = ("name", "revenue_type", "fee_type", "effective_from", "effective_to", "priority", "status")


class FeedUploadTable(BaseTable):
    original_name = tables.Column(
        verbose_name=_("file name"),
        linkify=lambda record: reverse("crossborder:revenue_feed_upload_detail", args=[record.pk]),
    )
    uploaded_at = tables.DateTimeColumn(verbose_name=_("uploaded"), format="Y-m-d H:i")
    uploaded_by = tables.Column(
        verbose_name=_("uploaded by"), accessor="uploaded_by__username", order_by=("uploaded_by__username",)
    )
    status = tables.Column(verbose_name=_("status"))
    rows = tables.Column(verbose_name=_("rows"))
    loaded = tables.Column(verbose_name=_("revenue events loaded"))
    unchanged = tables.Column(verbose_name=_("rows already loaded"))

    class Meta(BaseTable.Meta):
        model = RevenueFeedUpload
        fields = ()
        sequence = ("original_name", "uploaded_at", "uploaded_by", "status", "rows", "loaded", "unchanged")
