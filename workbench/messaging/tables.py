"""The auditors' message list (its XLSX export shares it)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ocrm.lists.tables import BaseTable
from workbench.messaging.models import Message


class AuditMessageTable(BaseTable):
    sent_at = tables.DateTimeColumn(verbose_name=_("Sent"), format="Y-m-d H:i")
    conversation = tables.Column(verbose_name=_("Conversation"), accessor="conversation_id")
    sender = tables.Column(verbose_name=_("Sender"), accessor="sender__username", order_by=("sender__username",))
    body = tables.Column(verbose_name=_("Message"), orderable=False)
    attachment_name = tables.Column(verbose_name=_("File"), orderable=False)

    class Meta(BaseTable.Meta):
        model = Message
        fields = ("sent_at", "conversation", "sender", "body", "attachment_name")
        order_by = ("-sent_at",)

    def render_conversation(self, value):
        return format_html('<a href="{}">#{}</a>', reverse("workbench:messaging_audit_conversation", args=[value]), value)

    def value_conversation(self, value):
        return value

    def render_body(self, value):
        return value if len(value) <= 200 else value[:200] + "…"

    def value_body(self, value):
        return value
