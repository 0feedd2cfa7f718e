"""The appraisal lists (their XLSX exports share them): schemes, team scores, and the snapshot
rows behind one line of a scorecard."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ocrm.lists.tables import BaseTable
from reports.appraisal.models import KpiScheme, Score, indicator_label
from reports.snapshots.models import CustomerDay, MeasureDay


class SchemeTable(BaseTable):
    name = tables.Column(verbose_name=_("name"), linkify=lambda record: reverse("reports:kpi_scheme", args=[record.pk]))
    version = tables.Column(verbose_name=_("version"))
    role = tables.Column(verbose_name=_("role"))
    valid_from = tables.DateColumn(verbose_name=_("valid from"), format="Y-m-d")
    valid_to = tables.DateColumn(verbose_name=_("valid to"), format="Y-m-d")
    status = tables.Column(verbose_name=_("status"))

    class Meta(BaseTable.Meta):
        model = KpiScheme
        fields = ()
        sequence = ("name", "version", "role", "valid_from", "valid_to", "status")


class ScoreTable(BaseTable):
    period = tables.Column(
        verbose_name=_("period"),
        accessor="period_start",
        linkify=lambda record: reverse("reports:kpi_score", args=[record.pk]),
        order_by=("period_start",),
    )
    manager = tables.Column(verbose_name=_("manager"), accessor="manager__name_local", order_by=("manager__username",))
    branch = tables.Column(verbose_name=_("branch"), accessor="branch__name_local", order_by=("branch__path",))
    region = tables.Column(verbose_name=_("region"), accessor="region__name_local", order_by=("region__path",))
    points = tables.Column(verbose_name=_("points"))
    adjustment = tables.Column(verbose_name=_("adjustment"))
    total = tables.Column(verbose_name=_("score"))
    rank_in_branch = tables.Column(verbose_name=_("rank in branch"))
    rank_in_region = tables.Column(verbose_name=_("rank in region"))

    class Meta(BaseTable.Meta):
        model = Score
        fields = ()
        sequence = ("period", "manager", "branch", "region", "points", "adjustment", "total", "rank_in_branch", "rank_in_region")

    def render_period(self, record):
        return record.period_label

    def value_period(self, record):
        return record.period_label

    def render_manager(self, record):
        return record.manager.display_name

    def value_manager(self, record):
        return record.manager.display_name


class SourceCustomerTable(BaseTable):
    """CustomerDay rows; the customer is named only when the user may see them (Customer.objects.visible_to)."""

    business_date = tables.DateColumn(verbose_name=_("business date"), format="Y-m-d")
    customer = tables.Column(verbose_name=_("customer"), accessor="customer_number", orderable=False, empty_values=())
    customer_name = tables.Column(verbose_name=_("name"), accessor="customer_name", orderable=False, empty_values=())
    tier = tables.Column(verbose_name=_("tier"))
    lifecycle_stage = tables.Column(verbose_name=_("lifecycle stage"))
    aum = tables.Column(verbose_name=_("AUM"), attrs={"td": {"class": "text-end"}})
    product_categories = tables.Column(verbose_name=_("product categories"))

    class Meta(BaseTable.Meta):
        model = CustomerDay
        fields = ()
        sequence = ("business_date", "customer", "customer_name", "tier", "lifecycle_stage", "aum", "product_categories")

    def render_customer(self, record):
        if not record.customer_visible:
            return format_html('<span class="text-muted">{}</span>', _("Outside your scope"))
        return format_html(
            '<a href="{}">{}</a>', reverse("customers:detail", args=[record.customer_number]), record.customer_number
        )

    def value_customer(self, record):
        return record.customer_number if record.customer_visible else str(_("Outside your scope"))

    def render_customer_name(self, record):
        return record.customer_name if record.customer_visible else "—"

    def value_customer_name(self, record):
        return record.customer_name if record.customer_visible else ""


class SourceMeasureTable(BaseTable):
    business_date = tables.DateColumn(verbose_name=_("business date"), format="Y-m-d")
    measure = tables.Column(verbose_name=_("measure"))
    value = tables.Column(verbose_name=_("value"), attrs={"td": {"class": "text-end"}})

    class Meta(BaseTable.Meta):
        model = MeasureDay
        fields = ()
        sequence = ("business_date", "measure", "value")

    def render_measure(self, value):
        return indicator_label("measure", measure=value)

    def value_measure(self, value):
        return str(indicator_label("measure", measure=value))
