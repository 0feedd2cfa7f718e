"""The table of the batch-maintenance list (the XLSX export reuses it)."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from customers.maintenance.models import MaintenanceBatch
from ocrm.lists.tables import BaseTable

STATUS_BADGES = {
    MaintenanceBatch.Status.REJECTED: "danger",
    MaintenanceBatch.Status.VALIDATED: "info",
    MaintenanceBatch.Status.APPLIED: "success",
}


class MaintenanceBatchTable(BaseTable):
    id = tables.Column(verbose_name="#", linkify=("customers:batch_detail", [tables.A("pk")]))
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("uploaded"), format="Y-m-d H:i")
    original_name = tables.Column(verbose_name=gettext_lazy("file name"), linkify=("customers:batch_detail", [tables.A("pk")]))
    status = tables.Column(verbose_name=gettext_lazy("status"))
    total_rows = tables.Column(verbose_name=gettext_lazy("rows"), attrs={"td": {"class": "text-end"}})
    invalid_rows = tables.Column(verbose_name=gettext_lazy("invalid"), attrs={"td": {"class": "text-end"}})
    changed_rows = tables.Column(verbose_name=gettext_lazy("with changes"), attrs={"td": {"class": "text-end"}})
    uploaded_by = tables.Column(
        verbose_name=gettext_lazy("uploaded by"),
        accessor="uploaded_by__username",
        order_by=("uploaded_by__username",),
        default="—",
    )

    class Meta(BaseTable.Meta):
        model = MaintenanceBatch
        fields = ()
        sequence = ("id", "created_at", "original_name", "status", "total_rows", "invalid_rows", "changed_rows", "uploaded_by")

    def render_status(self, record, value):
        return format_html('<span class="badge text-bg-{}">{}</span>', STATUS_BADGES.get(record.status, "secondary"), value)

    def value_status(self, record):
        return record.get_status_display()
