"""Base table for every list page: Bootstrap look, responsive, export-aware."""

import django_tables2 as tables


class BaseTable(tables.Table):
    class Meta:
        attrs = {"class": "table table-sm table-striped table-hover align-middle"}
        template_name = "django_tables2/bootstrap5-responsive.html"
        per_page = 25
