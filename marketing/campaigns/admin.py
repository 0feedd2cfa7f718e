"""Django admin of campaigns: read-only under the same scope as the pages (campaigns change
through marketing.campaigns.services: dry run, approval, set-based launch, audit)."""

from django.contrib import admin

from marketing.campaigns.models import Campaign
from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "status", "starts_on", "ends_on", "branch", "created_by")
    list_filter = ("status",)
    search_fields = ("name",)
    raw_id_fields = ("branch", "created_by", "launched_by", "group", "sms_template", "exclude_campaign", "change_request")
    list_select_related = ("branch", "created_by")
    show_full_result_count = False
