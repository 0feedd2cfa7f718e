"""The parameters staff messaging reads (declared from WorkbenchConfig.ready(); values per bank)."""

from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "messaging.attachment_max_bytes": (
        "int",
        "10485760",
        _("Largest file one staff message may carry, in bytes."),
    ),
    "messaging.keep_days": (
        "int",
        "3650",
        _("Staff messages and their files are removed this many days after they were sent (0 keeps them for ever)."),
    ),
    "messaging.working_hours": (
        "string",
        "09:00-18:00",
        _(
            "Working hours of the bank's branches (HH:MM-HH:MM, each branch's own local time) "
            "shown next to a colleague in messaging."
        ),
    ),
}
