"""Admin of attribution rules and the assignment history."""

from django.contrib import admin

from customers.master.admin import HistoryAdmin
from customers.ownership.assignment.models import AssignmentChange, AttributionRule
from ocrm.admin import ScopedAdminMixin
from sysadmin.org.models import Bank


@admin.register(AttributionRule)
class AttributionRuleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """A bank's attribution rules (also editable on customers:attribution_rule); audited by
    the safety net. A bank's administrator picks only their own bank."""

    list_display = ("bank", "branch_rule", "manager_rule", "updated_by", "updated_at")
    list_select_related = ("bank", "updated_by")
    fields = ("bank", "branch_rule", "manager_rule", "updated_by", "updated_at")
    readonly_fields = ("updated_by", "updated_at")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "bank" and not request.user.is_superuser:
            kwargs["queryset"] = Bank.objects.filter(pk=request.user.bank_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(AssignmentChange)
class AssignmentChangeAdmin(HistoryAdmin):
    list_display = ("at", "customer", "kind", "from_manager", "to_manager", "from_branch", "to_branch", "actor")
    list_filter = ("kind",)
    list_select_related = ("customer", "from_manager", "to_manager", "from_branch", "to_branch", "actor")
    fields = (
        "customer",
        "kind",
        "from_manager",
        "to_manager",
        "from_branch",
        "to_branch",
        "change_request_id",
        "actor",
        "at",
        "business_date",
        "reason",
    )
    readonly_fields = fields
