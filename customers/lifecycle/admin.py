"""Admin of the lifecycle and rating history (read-only)."""

from django.contrib import admin

from customers.lifecycle.models import LifecycleChange, RatingChange
from customers.master.admin import HistoryAdmin


@admin.register(LifecycleChange)
class LifecycleChangeAdmin(HistoryAdmin):
    list_display = ("changed_at", "customer", "stage_from", "stage_to", "business_date", "reason")
    list_filter = ("stage_to",)
    fields = ("customer", "stage_from", "stage_to", "changed_at", "business_date", "reason")
    readonly_fields = fields


@admin.register(RatingChange)
class RatingChangeAdmin(HistoryAdmin):
    list_display = ("changed_at", "customer", "tier_from", "tier_to", "stars_from", "stars_to", "business_date")
    list_filter = ("tier_to",)
    fields = ("customer", "tier_from", "tier_to", "stars_from", "stars_to", "changed_at", "business_date", "reason")
    readonly_fields = fields
