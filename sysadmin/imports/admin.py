"""Django admin of the import staging tables: read-only (batches are made and applied by
the import pages and the inbox job), limited to the user's bank, linked to the batch page.

Registered when this module is imported: sysadmin/admin.py imports it."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from sysadmin.imports.models import ImportBatch, ImportRow


class ImportRowInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ImportRow
    fields = ("row_number", "key", "is_valid", "action", "errors", "changes", "data")
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = False
    classes = ("collapse",)

    def get_queryset(self, request):
        # Only the rows with errors: a batch may hold tens of thousands of valid rows.
        return super().get_queryset(request).filter(is_valid=False).order_by("row_number")


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
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
        "unchanged_count",
        "uploaded_by",
    )
    list_filter = ("kind", "status", "source", ("bank", admin.RelatedOnlyFieldListFilter))
    search_fields = ("original_name", "sha256")
    date_hierarchy = "created_at"
    list_select_related = ("bank", "uploaded_by")
    readonly_fields = (
        "page_link",
        "bank",
        "kind",
        "source",
        "original_name",
        "file",
        "file_size",
        "sha256",
        "columns",
        "uploaded_by",
        "created_at",
        "status",
        "error",
        "total_rows",
        "valid_rows",
        "invalid_rows",
        "created_count",
        "updated_count",
        "unchanged_count",
        "applied_at",
        "applied_by",
        "job_run",
    )
    fields = readonly_fields
    inlines = [ImportRowInline]

    @admin.display(description=_("page"))
    def page_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("sysadmin:import_detail", args=[obj.pk]),
            _("Open the import page (errors, preview, apply)"),
        )
