"""Admin of customer shares (read-only)."""

from django.contrib import admin

from customers.ownership.sharing.models import CustomerShare
from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin


@admin.register(CustomerShare)
class CustomerShareAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: shares are made and revoked on the sharing pages (customers.ownership.sharing.services audits each step)."""

    list_display = ("id", "customer", "shared_by", "shared_with", "can_edit", "expires_at", "status", "revoked_at")
    list_filter = ("status", "can_edit")
    list_select_related = ("customer", "shared_by", "shared_with")
    raw_id_fields = ("customer", "shared_by", "shared_with", "revoked_by", "change_request")
    show_full_result_count = False
