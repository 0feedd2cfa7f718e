"""Admin of feed loads and their rejected rows (read-only)."""

from django.contrib import admin

from customers.ecif.feeds.models import FeedError, FeedLoad
from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin


@admin.register(FeedLoad)
class FeedLoadAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: feeds are delivered on the feed pages or through the inbox folder."""

    list_display = (
        "created_at",
        "bank",
        "source_system",
        "feed",
        "business_date",
        "original_name",
        "status",
        "rows_read",
        "rows_loaded",
        "rows_rejected",
    )
    list_filter = ("status", "feed", "origin")
    list_select_related = ("bank",)
    search_fields = ("=source_system", "original_name")
    exclude = ("file",)
    show_full_result_count = False


@admin.register(FeedError)
class FeedErrorAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Read-only; a feed's rejected rows, scoped through their load (identity numbers are stored masked)."""

    list_display = ("load", "row_number", "field", "value", "reason")
    list_select_related = ("load",)
    search_fields = ("=load__id",)
    show_full_result_count = False

    def scope_queryset(self, request, queryset):
        if request.user.is_superuser:
            return queryset
        return queryset.filter(load__in=FeedLoad.objects.visible_to(request.user).values("pk"))
