"""Tables of the outbox pages: templates and messages (numbers masked: ocrm.pii)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ocrm import pii
from ocrm.lists.tables import BaseTable
from ocrm.outbox.models import MessageTemplate, OutboundMessage


def masked(record):
    return pii.mask_email(record.address) if "@" in record.address else pii.mask_phone(record.address)


class TemplateTable(BaseTable):
    code = tables.Column(verbose_name=_("code"), linkify=lambda record: reverse("outbox:template_edit", args=[record.pk]))
    name = tables.Column(verbose_name=_("name"))
    channel = tables.Column(verbose_name=_("channel"))
    purpose = tables.Column(verbose_name=_("purpose"))
    category = tables.Column(verbose_name=_("category"))
    is_active = tables.BooleanColumn(verbose_name=_("active"))
    updated_at = tables.DateTimeColumn(verbose_name=_("updated"), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = MessageTemplate
        fields = ("code", "name", "channel", "purpose", "category", "is_active", "updated_at")


class MessageTable(BaseTable):
    id = tables.Column(verbose_name="#", linkify=lambda record: reverse("outbox:message_detail", args=[record.pk]))
    created_at = tables.DateTimeColumn(verbose_name=_("queued"), format="Y-m-d H:i")
    recipient_ref = tables.Column(verbose_name=_("recipient"))
    address = tables.Column(verbose_name=_("number or address"), orderable=False)
    channel = tables.Column(verbose_name=_("channel"))
    template = tables.Column(verbose_name=_("template"), accessor="template__code", order_by=("template__code",))
    state = tables.Column(verbose_name=_("state"))
    reason = tables.Column(verbose_name=_("reason"), orderable=False)
    segments = tables.Column(verbose_name=_("segments"))
    sent_at = tables.DateTimeColumn(verbose_name=_("sent"), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = OutboundMessage
        fields = ("id", "created_at", "recipient_ref", "address", "channel", "template", "state", "reason", "segments", "sent_at")

    def render_address(self, record):
        return masked(record)

    def value_address(self, record):
        return masked(record)
