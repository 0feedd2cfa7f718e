"""Django admin: the bank's pipeline stages (names, order, default probabilities); opportunities
read-only (they change through marketing.pipeline.services, which keeps the history)."""

from django.contrib import admin

from marketing.pipeline.models import Opportunity, PipelineStage
from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin


@admin.register(PipelineStage)
class PipelineStageAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "position", "probability", "outcome", "is_active")
    list_filter = ("outcome", "is_active")
    ordering = ("bank", "position")

    def get_exclude(self, request, obj=None):
        return () if request.user.is_superuser else ("bank",)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.bank_id = request.user.bank_id
        super().save_model(request, obj, form, change)


@admin.register(Opportunity)
class OpportunityAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "owner", "customer", "stage", "amount", "currency", "status")
    list_filter = ("status", "source")
    search_fields = ("title", "owner__username")
    raw_id_fields = ("customer", "owner")
    list_select_related = ("owner", "customer", "stage")
    show_full_result_count = False
