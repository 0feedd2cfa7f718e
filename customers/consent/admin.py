"""Django admin of contact policies, under the customers' scope."""

from django.contrib import admin

from customers.consent.models import ContactPolicy
from ocrm.admin import ScopedAdminMixin


@admin.register(ContactPolicy)
class ContactPolicyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "marketing_consent", "service_opt_out", "language", "time_zone", "updated_at")
    list_filter = ("marketing_consent", "service_opt_out")
    search_fields = ("customer__number",)
    raw_id_fields = ("customer",)
    readonly_fields = ("bank", "customer", "updated_at", "updated_by")
    fields = ("bank", "customer", "marketing_consent", "service_opt_out", "language", "time_zone", "updated_at", "updated_by")

    def has_add_permission(self, request):
        return False  # made from the customer's 360 page
