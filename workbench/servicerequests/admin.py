"""Product managers define service request types here; requests themselves are read-only
(they change through workbench.servicerequests.services, which keeps the log chain)."""

from django.contrib import admin

from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from workbench.servicerequests.models import ServiceRequest, ServiceRequestType


@admin.register(ServiceRequestType)
class ServiceRequestTypeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "bank", "active")
    list_filter = ("active",)
    search_fields = ("name", "code")


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("reference", "request_type", "customer", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("reference",)
    raw_id_fields = ("customer", "created_by", "request_type")
    list_select_related = ("request_type", "customer")
    show_full_result_count = False
