"""The table of the import batch list (the XLSX export reuses it)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from ocrm.imports.tables import BatchTable
from sysadmin.imports.models import ImportBatch


class ImportBatchTable(BatchTable):
    id = tables.Column(verbose_name="#", linkify=("sysadmin:import_detail", [tables.A("pk")]))
    created_at = tables.DateTimeColumn(verbose_name=_("uploaded"), format="Y-m-d H:i")
    bank = tables.Column(verbose_name=_("bank"), accessor="bank__code", order_by=("bank__code",))
    kind = tables.Column(verbose_name=_("kind"))
    original_name = tables.Column(verbose_name=_("file name"), linkify=("sysadmin:import_detail", [tables.A("pk")]))
    source = tables.Column(verbose_name=_("source"))
    total_rows = tables.Column(verbose_name=_("rows"), attrs={"td": {"class": "text-end"}})
    invalid_rows = tables.Column(verbose_name=_("invalid"), attrs={"td": {"class": "text-end"}})
    created_count = tables.Column(verbose_name=_("created"), attrs={"td": {"class": "text-end"}})
    updated_count = tables.Column(verbose_name=_("updated"), attrs={"td": {"class": "text-end"}})
    uploaded_by = tables.Column(
        verbose_name=_("uploaded by"), accessor="uploaded_by__username", order_by=("uploaded_by__username",), default="—"
    )

    class Meta(BatchTable.Meta):
        model = ImportBatch
        fields = ()
        sequence = (
            "id",
            "created_at",
            "bank",
            "kind",
            "original_name",
            "source",
            "status",
            "total_rows",
            "invalid_rows",
            "created_count",
            "updated_count",
            "uploaded_by",
        )
