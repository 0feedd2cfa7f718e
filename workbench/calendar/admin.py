"""Django admin of appointments, read-only under the same scope as the pages (they change through
workbench.calendar.services). Feed tokens are not shown at all (only their hashes are kept)."""

from django.contrib import admin

from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from workbench.calendar.models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "owner", "customer", "start", "end", "channel", "status")
    list_filter = ("status", "channel")
    search_fields = ("title", "owner__username")
    raw_id_fields = ("customer", "owner", "created_by")
    list_select_related = ("owner", "customer")
    show_full_result_count = False
