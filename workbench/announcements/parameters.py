"""The parameters announcements read (declared from WorkbenchConfig.ready(); values per bank in
System parameters)."""

from django.utils.translation import gettext_lazy

MAX_ATTACHMENT_BYTES = "announcements.attachment_max_bytes"
ESCALATE_AFTER_DAYS = "announcements.escalate_after_days"

PARAMETERS = {
    MAX_ATTACHMENT_BYTES: (
        "int",
        "10485760",
        gettext_lazy("Largest announcement attachment, in bytes (PDF, images, Word, Excel, PowerPoint)."),
    ),
    ESCALATE_AFTER_DAYS: (
        "int",
        "3",
        gettext_lazy(
            "Announcements requiring acknowledgement: after this many days, the supervisor of each person "
            "who has not acknowledged is told."
        ),
    ),
}
