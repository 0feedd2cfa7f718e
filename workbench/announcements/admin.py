"""Django admin of announcements: read-only under the same scope as the pages (announcements
change through workbench.announcements.services: sanitising, approval, audit)."""

from django.contrib import admin

from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from workbench.announcements.models import Announcement, AnnouncementReceipt


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "kind", "status", "bank_wide", "requires_ack", "valid_from", "valid_until", "created_by")
    list_filter = ("status", "kind", "requires_ack")
    search_fields = ("title",)
    raw_id_fields = ("created_by", "published_by", "branch", "change_request")
    exclude = ("search_grams",)
    list_select_related = ("created_by",)
    show_full_result_count = False


@admin.register(AnnouncementReceipt)
class AnnouncementReceiptAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("announcement", "staff", "opened_at", "acknowledged_at")
    raw_id_fields = ("announcement", "staff")
    list_select_related = ("announcement", "staff")
    show_full_result_count = False
