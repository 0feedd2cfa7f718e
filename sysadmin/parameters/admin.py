"""Admin of system parameters: typed, validated against their declaration, per bank."""

from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ocrm.parameters import DECLARED
from sysadmin.org.admin import OrgScopedAdmin
from sysadmin.parameters import services as parameters
from sysadmin.parameters.models import SystemParameter


class SystemParameterForm(forms.ModelForm):
    class Meta:
        model = SystemParameter
        fields = ("key", "bank", "value_type", "value", "description")
        widgets = {"value": forms.Textarea(attrs={"rows": 3, "cols": 60})}

    def __init__(self, *args, bank_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        if "bank" in self.fields:
            self.fields["bank"].required = bank_required
            if not bank_required:
                self.fields["bank"].empty_label = _("(global default for every bank)")
        if "key" in self.fields:  # absent on the read-only view of a global row
            known = ", ".join(sorted(DECLARED))
            self.fields["key"].help_text = _("Parameters the system reads: %(keys)s.") % {"keys": known}

    def clean(self):
        cleaned = super().clean()
        key, value_type, value = cleaned.get("key"), cleaned.get("value_type"), cleaned.get("value")
        if key and value_type and value is not None:
            for field, message in parameters.validate(key, value_type, value).items():
                self.add_error(field, message)
        return cleaned


@admin.register(SystemParameter)
class SystemParameterAdmin(OrgScopedAdmin, admin.ModelAdmin):
    form = SystemParameterForm
    list_display = ("key", "scope_label", "value_type", "value", "description", "updated_at")
    list_filter = ("value_type", ("bank", RelatedOnlyFieldListFilter))
    search_fields = ("key", "description", "value")
    list_select_related = ("bank",)
    ordering = ("key", "bank__code")

    @admin.display(description=_("applies to"), ordering="bank__code")
    def scope_label(self, obj):
        return obj.bank if obj.bank_id else _("global default")

    def scope_queryset(self, request, queryset):
        # A bank's administrator sees the global defaults their bank inherits, and edits only the bank's own rows.
        if request.user.is_superuser:
            return queryset
        return queryset.filter(Q(bank__isnull=True) | Q(bank_id=request.user.bank_id))

    def _own(self, request, obj):
        return obj is None or request.user.is_superuser or obj.bank_id == request.user.bank_id

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._own(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._own(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        bank_required = not request.user.is_superuser

        class ScopedForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, bank_required=bank_required, **kw)

        return ScopedForm
