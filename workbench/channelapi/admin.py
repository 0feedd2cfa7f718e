"""Django admin of the channel API: the field classification per bank and kind of channel (a bank's
administrator edits their own bank's; the safety net audits each change)."""

from django import forms
from django.contrib import admin

from ocrm.admin import ScopedAdminMixin
from sysadmin.org.models import Bank
from workbench.channelapi.classification import FIELD_LABELS
from workbench.channelapi.models import ChannelFieldPolicy


class ChannelFieldPolicyForm(forms.ModelForm):
    fields = forms.MultipleChoiceField(choices=list(FIELD_LABELS.items()), widget=forms.CheckboxSelectMultiple, required=False)

    class Meta:
        model = ChannelFieldPolicy
        fields = ("bank", "kind", "fields")


@admin.register(ChannelFieldPolicy)
class ChannelFieldPolicyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = ChannelFieldPolicyForm
    list_display = ("bank", "kind", "fields", "updated_at")
    list_filter = ("kind",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "bank" and not request.user.is_superuser:
            kwargs["queryset"] = Bank.objects.filter(pk=request.user.bank_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
