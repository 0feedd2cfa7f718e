"""The base of the tables that list an area's uploaded files: the status as a coloured badge on the
page and as its label in the XLSX export. The batch page uses the same colours (status_badges)."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ocrm.lists.tables import BaseTable

# The statuses of ocrm.imports.models.StagedBatch.
STATUS_BADGES = {"rejected": "danger", "validated": "info", "applied": "success", "failed": "warning"}


class BatchTable(BaseTable):
    status_badges = STATUS_BADGES
    status_class = ""  # a class the status badge also carries (for scripts and tests)

    status = tables.Column(verbose_name=_("status"))

    def render_status(self, record, value):
        return format_html(
            '<span class="badge text-bg-{}{}" data-status="{}">{}</span>',
            self.status_badges.get(record.status, "secondary"),
            f" {self.status_class}" if self.status_class else "",
            record.status,
            value,
        )

    def value_status(self, record):
        return record.get_status_display()
