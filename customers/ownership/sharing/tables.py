"""Tables of the "shared with me" and "shared by me" lists."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.ownership.sharing.models import CustomerShare
from ocrm.lists.tables import BaseTable


class ShareTable(BaseTable):
    customer = tables.Column(
        verbose_name=gettext_lazy("customer"),
        order_by=("customer__number",),
        linkify=lambda record: record.customer.get_absolute_url(),
    )
    shared_by = tables.Column(
        verbose_name=gettext_lazy("shared by"), accessor="shared_by__display_name", order_by=("shared_by__username",)
    )
    shared_with = tables.Column(
        verbose_name=gettext_lazy("shared with"), accessor="shared_with__display_name", order_by=("shared_with__username",)
    )
    can_edit = tables.BooleanColumn(verbose_name=gettext_lazy("may edit"))
    expires_at = tables.DateTimeColumn(verbose_name=gettext_lazy("until"), format="Y-m-d H:i")
    status = tables.Column(verbose_name=gettext_lazy("status"))
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("created"), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = CustomerShare
        fields = ("customer", "shared_by", "shared_with", "can_edit", "expires_at", "status", "created_at")

    def render_status(self, record):
        if record.status == CustomerShare.Status.ACTIVE and not record.is_in_force:
            return _("Expired")
        return record.get_status_display()


class SharedByMeTable(ShareTable):
    revoke = tables.Column(verbose_name="", empty_values=(), orderable=False, exclude_from_export=True)

    class Meta(ShareTable.Meta):
        fields = (*ShareTable.Meta.fields, "revoke")

    def render_revoke(self, record):
        if (
            record.revoked_at
            or record.status not in (CustomerShare.Status.ACTIVE, CustomerShare.Status.PENDING)
            or (record.status == CustomerShare.Status.ACTIVE and not record.is_in_force)
        ):
            return ""
        return format_html(
            '<form method="post" action="{}" class="m-0"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button type="submit" class="btn btn-sm btn-outline-danger share-revoke" id="share-revoke-{}">{}</button>'
            "</form>",
            reverse("customers:share_revoke", args=[record.pk]),
            self.csrf_token,
            record.pk,
            _("Revoke"),
        )
