"""Admin of match rules, the review queue and merge records."""

from django.contrib import admin

from customers.ecif.matching.models import MatchCandidate, MatchRule, MergeRecord
from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from sysadmin.org.models import Bank


@admin.register(MatchRule)
class MatchRuleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """A bank's match rules (deterministic keys; scored weights and thresholds; trusted sources).
    Every edit is audited with before/after by the safety net."""

    list_display = ("name", "bank", "applies_to", "kind", "upper_threshold", "lower_threshold", "is_active", "updated_at")
    list_filter = ("applies_to", "kind", "is_active")
    list_select_related = ("bank",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "bank" and not request.user.is_superuser:
            kwargs["queryset"] = Bank.objects.filter(pk=request.user.bank_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(MatchCandidate)
class MatchCandidateAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: pairs are decided on the review pages (customers:match_review_list)."""

    list_display = ("id", "customer_a", "customer_b", "score", "status", "found_by", "created_at", "decided_by")
    list_filter = ("status", "found_by")
    list_select_related = ("customer_a", "customer_b", "decided_by")
    show_full_result_count = False


@admin.register(MergeRecord)
class MergeRecordAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: merges are undone on the merge history page (customers:merge_detail)."""

    list_display = ("id", "merged_number", "survivor", "merged_by", "merged_at", "unmerged_at")
    list_select_related = ("survivor", "merged_by")
    exclude = ("before_state",)  # holds masked and encrypted values of many rows: the page shows a summary
