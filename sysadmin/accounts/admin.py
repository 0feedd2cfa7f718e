"""Admin of password history (read-only). The second factor has no admin: its own pages enrol and
reset it (docs/authentication.md)."""

from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from sysadmin.accounts.models import PasswordHistory
from sysadmin.org.admin import OrgScopedAdmin


@admin.register(PasswordHistory)
class PasswordHistoryAdmin(OrgScopedAdmin, admin.ModelAdmin):
    """Which accounts changed their password when; the hashes themselves are never shown."""

    scope_bank_field = "staff__bank"
    list_display = ("staff", "created_at")
    search_fields = ("staff__username", "staff__name_local")
    list_select_related = ("staff",)
    fields = ("staff", "created_at")
    readonly_fields = fields

    def scope_queryset(self, request, queryset):
        queryset = super().scope_queryset(request, queryset)
        return queryset if request.user.is_superuser else queryset.exclude(staff__is_superuser=True)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# django-otp's admin of TOTP devices sees every bank's devices and shows their secrets as QR codes.
admin.site.unregister(TOTPDevice)
