"""The parameters the reminders read (declared from WorkbenchConfig.ready(); values per bank in
System parameters). A lead of -1 switches the kind off for the bank."""

from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "reminders.maturity_days": ("int", "7", _("Reminders: days before a time deposit matures (-1: none).")),
    "reminders.instalment_days": ("int", "3", _("Reminders: days before a loan instalment is due (-1: none).")),
    "reminders.id_expiry_days": ("int", "30", _("Reminders: days before an identity document expires (-1: none).")),
    "reminders.appointment_minutes": ("int", "30", _("Reminders: minutes before an appointment.")),
    "reminders.delivery_hour": ("int", "9", _("Reminders: local hour (manager's zone) at which reminders are delivered.")),
    "reminders.run_local_hour": (
        "int",
        "0",
        _("Reminders: local hour of each branch zone after which the day's reminders are generated."),
    ),
}
