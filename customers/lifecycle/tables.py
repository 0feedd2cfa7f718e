"""The table of the "Lifecycle changes" page (customers.lifecycle.views); the XLSX export reuses it."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from customers.lifecycle.models import LifecycleChange
from ocrm.lists.tables import BaseTable


class LifecycleChangeTable(BaseTable):
    business_date = tables.DateColumn(verbose_name=_("business date"), format="Y-m-d")
    number = tables.Column(
        verbose_name=_("customer number"),
        accessor="customer__number",
        order_by=("customer__number",),
        linkify=lambda record: record.customer.get_absolute_url(),
    )
    name = tables.Column(verbose_name=_("name"), accessor="customer__name_local", order_by=("customer__name_local",))
    branch = tables.Column(
        verbose_name=_("owning branch"), accessor="customer__branch__code", order_by=("customer__branch__code",)
    )
    manager = tables.Column(
        verbose_name=_("primary manager"),
        accessor="customer__primary_manager__username",
        order_by=("customer__primary_manager__username",),
        default="—",
    )
    stage_from = tables.Column(verbose_name=_("from"))
    stage_to = tables.Column(verbose_name=_("to"))
    aum = tables.Column(
        verbose_name=_("AUM (base currency)"),
        accessor="customer__aum",
        order_by=("customer__aum",),
        attrs={"td": {"class": "text-end"}},
    )
    reason = tables.Column(verbose_name=_("reason"), accessor="reason_label", orderable=False)

    class Meta(BaseTable.Meta):
        model = LifecycleChange
        fields = ()
        sequence = ("business_date", "number", "name", "branch", "manager", "stage_from", "stage_to", "aum", "reason")
        order_by = ("number",)

    def value_stage_from(self, record):
        return record.get_stage_from_display()

    def value_stage_to(self, record):
        return record.get_stage_to_display()
