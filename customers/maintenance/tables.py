"""The table of the batch-maintenance list (the XLSX export reuses it)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy

from customers.maintenance.models import MaintenanceBatch
from ocrm.imports.tables import BatchTable


class MaintenanceBatchTable(BatchTable):
    id = tables.Column(verbose_name="#", linkify=("customers:batch_detail", [tables.A("pk")]))
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("uploaded"), format="Y-m-d H:i")
    original_name = tables.Column(verbose_name=gettext_lazy("file name"), linkify=("customers:batch_detail", [tables.A("pk")]))
    total_rows = tables.Column(verbose_name=gettext_lazy("rows"), attrs={"td": {"class": "text-end"}})
    invalid_rows = tables.Column(verbose_name=gettext_lazy("invalid"), attrs={"td": {"class": "text-end"}})
    changed_rows = tables.Column(verbose_name=gettext_lazy("with changes"), attrs={"td": {"class": "text-end"}})
    uploaded_by = tables.Column(
        verbose_name=gettext_lazy("uploaded by"),
        accessor="uploaded_by__username",
        order_by=("uploaded_by__username",),
        default="—",
    )

    class Meta(BatchTable.Meta):
        model = MaintenanceBatch
        fields = ()
        sequence = ("id", "created_at", "original_name", "status", "total_rows", "invalid_rows", "changed_rows", "uploaded_by")
