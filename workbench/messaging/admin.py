"""Django admin of conversations: read-only, and only those the person takes part in (the same
scope as the pages: an administrator does not read colleagues' messages here either)."""

from django.contrib import admin

from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from workbench.messaging.models import Conversation


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "kind", "customer", "created_by", "created_at", "last_message_at")
    list_filter = ("kind",)
    raw_id_fields = ("customer", "created_by")
    list_select_related = ("customer", "created_by")
    show_full_result_count = False
