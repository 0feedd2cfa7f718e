from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "crossborder.opening_time": (
        "string",
        "09:00",
        _("Local time (HH:MM) at which branches open for cross-border service times."),
    ),
    "crossborder.closing_time": (
        "string",
        "17:00",
        _("Local time (HH:MM) at which branches close for cross-border service times."),
    ),
    "crossborder.lunch_break": (
        "string",
        "",
        _("Local lunch break that stops the cross-border service clock, e.g. 12:00-13:00 (empty = none)."),
    ),
    "crossborder.sharing_days": (
        "int",
        "7",
        _("Days after a cross-border request is closed during which the receiving side may still see what was shared."),
    ),
    "crossborder.bus_endpoint": ("string", "", _("URL of the bank's transaction bus (ESB) for cross-border look-ups.")),
}
