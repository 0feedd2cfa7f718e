"""Base table for every list page: Bootstrap look, responsive, export-aware."""

import django_tables2 as tables
from django.utils.safestring import SafeData
from django.utils.text import capfirst


class BaseTable(tables.Table):
    class Meta:
        attrs = {"class": "table table-sm table-striped table-hover align-middle"}
        template_name = "django_tables2/bootstrap5-responsive.html"
        per_page = 25

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Headers start with a capital letter, on the page and in exports. django-tables2
        # capitalises the names it takes from a model; the columns' own verbose names are
        # lower case like Django's, so they are capitalised here (each table has its own copy).
        for bound in self.columns:
            name = bound.column.verbose_name
            if name is not None and not isinstance(name, SafeData):
                bound.column.verbose_name = capfirst(name)
