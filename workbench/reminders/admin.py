"""Django admin of reminders (read-only: they change through the pages' services) and of the
reminder rules an administrator adds (their parameters checked by the rule kind)."""

from django import forms
from django.contrib import admin

from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from sysadmin.org.models import Bank
from workbench.reminders import kinds
from workbench.reminders.models import Reminder, ReminderRule


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("kind", "customer", "manager", "event_date", "lead", "deliver_at", "status")
    list_filter = ("kind", "status")
    raw_id_fields = ("customer", "manager", "branch", "rule", "task", "acted_by")
    list_select_related = ("customer", "manager")
    show_full_result_count = False


class ReminderRuleForm(forms.ModelForm):
    rule_kind = forms.ChoiceField(choices=kinds.rule_kind_choices)

    class Meta:
        model = ReminderRule
        fields = ("bank", "name", "rule_kind", "parameters", "is_active")


@admin.register(ReminderRule)
class ReminderRuleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = ReminderRuleForm
    list_display = ("name", "rule_kind", "parameters", "is_active")
    list_filter = ("rule_kind", "is_active")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A bank's administrator picks only their own bank.
        if db_field.name == "bank" and not request.user.is_superuser:
            kwargs["queryset"] = Bank.objects.filter(pk=request.user.bank_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
