"""Django admin of notifications (imported by ocrm/admin.py). Read-only: notifications
are written by services (ocrm.notifications.views.notify) and read by their recipients; an
administrator of one bank sees that bank's notifications, a superuser all."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from ocrm.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "recipient", "bank_id", "level", "title", "is_read")
    list_filter = ("level", ("read_at", admin.EmptyFieldListFilter), ("created_at", admin.DateFieldListFilter))
    search_fields = ("title", "recipient__username", "dedupe_key")
    list_select_related = ("recipient",)
    show_full_result_count = False
    fields = ("recipient", "bank_id", "created_at", "level", "title", "body", "link", "read_at", "dedupe_key")
    readonly_fields = fields

    def scope_queryset(self, request, queryset):
        # By bank, not Notification.objects.visible_to (that is the recipient's own inbox).
        if request.user.is_superuser:
            return queryset
        if request.user.bank_id is None:
            return queryset.none()
        return queryset.filter(bank_id=request.user.bank_id)

    @admin.display(description=_("read"), boolean=True)
    def is_read(self, obj):
        return obj.is_read
