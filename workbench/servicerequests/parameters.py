"""The parameters service requests read (declared from WorkbenchConfig.ready(); values per bank)."""

from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "servicerequests.expiry_days": (
        "int",
        "3",
        _(
            "Service requests: a request the customer has not confirmed expires at the end of its branch's local day "
            "this many days after it was sent."
        ),
    ),
    "servicerequests.appointment_hours": (
        "string",
        "09:00-17:00",
        _("Service requests: the branch hours in which an appointment may start (HH:MM-HH:MM, the branch's local time)."),
    ),
    "servicerequests.appointment_slot_capacity": (
        "int",
        "3",
        _("Service requests: appointments one branch takes at the same date and time."),
    ),
}
