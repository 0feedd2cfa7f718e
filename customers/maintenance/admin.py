"""Admin of batch-maintenance files (read-only)."""

from django.contrib import admin

from customers.maintenance.models import MaintenanceBatch
from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin


@admin.register(MaintenanceBatch)
class MaintenanceBatchAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: batches are uploaded, previewed and applied on the batch maintenance pages."""

    list_display = ("id", "bank", "original_name", "status", "uploaded_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("bank", "uploaded_by")
    exclude = ("file",)
