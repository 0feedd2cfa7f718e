"""Django admin of the outbox (imported by ocrm/admin.py), under the bank scope: gateways and the
deny list are edited here; templates are edited on their pages (validation, audit), messages are
records: both read-only here."""

from django.contrib import admin

from ocrm import tenants
from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from ocrm.outbox.models import DeniedAddress, Gateway, MessageTemplate, OutboundMessage


class BankScopedAdmin(ScopedAdminMixin):
    """A bank administrator's choice of bank is their own bank."""

    def related_queryset(self, request, model):
        if model is tenants.tenant_model():
            return model._default_manager.filter(pk=request.user.bank_id)
        return super().related_queryset(request, model)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if not request.user.is_superuser and request.user.bank_id:
            initial.setdefault("bank", request.user.bank_id)
        return initial


@admin.register(Gateway)
class GatewayAdmin(BankScopedAdmin, admin.ModelAdmin):
    list_display = ("name", "bank", "channel", "kind", "url", "price_per_segment", "rate_per_second", "is_active")
    list_filter = ("channel", "kind", "is_active")
    search_fields = ("name",)


@admin.register(DeniedAddress)
class DeniedAddressAdmin(BankScopedAdmin, admin.ModelAdmin):
    list_display = ("address", "bank", "source", "note", "created_at")
    list_filter = ("source",)
    search_fields = ("address",)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ReadOnlyAdminMixin, BankScopedAdmin, admin.ModelAdmin):
    list_display = ("code", "name", "bank", "channel", "purpose", "category", "is_active")
    list_filter = ("channel", "purpose", "category")
    search_fields = ("code", "name")


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdminMixin, BankScopedAdmin, admin.ModelAdmin):
    list_display = ("id", "created_at", "bank", "channel", "recipient_ref", "state", "reason")
    list_filter = ("state", "channel", "purpose")
    search_fields = ("recipient_ref",)
    show_full_result_count = False
    exclude = ("address", "body", "subject")  # personal data: the outbox page shows the number masked
