"""Messaging has no job of its own: old messages go with the kernel's retention clean-up
(ocrm.datalife.retention, the `data_purge` job), registered here."""

from django.utils.translation import gettext_lazy as _

from ocrm.datalife import retention
from workbench.messaging.models import Message


def register_purges():
    # The files first (the stored file goes, the row's name stays until the row goes), then the rows.
    retention.register(
        retention.Purge(
            name="message_files",
            label=_("message files"),
            model=Message,
            bank_field="bank_id",
            time_field="sent_at",
            parameter="messaging.keep_days",
            file_field="attachment",
        )
    )
    retention.register(
        retention.Purge(
            name="messages",
            label=_("staff messages"),
            model=Message,
            bank_field="bank_id",
            time_field="sent_at",
            parameter="messaging.keep_days",
        )
    )
