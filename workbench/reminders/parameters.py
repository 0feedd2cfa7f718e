"""The parameters the reminders read (declared from WorkbenchConfig.ready(); values per bank in
System parameters). reminders.kinds_off switches kinds off for a bank."""

from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "reminders.maturity_days": ("int", "7", _("Reminders: days before a time deposit matures.")),
    "reminders.instalment_days": ("int", "3", _("Reminders: days before a loan instalment is due.")),
    "reminders.id_expiry_days": ("int", "30", _("Reminders: days before an identity document expires.")),
    "reminders.appointment_minutes": ("int", "30", _("Reminders: minutes before an appointment.")),
    "reminders.delivery_hour": ("int", "9", _("Reminders: local hour (manager's zone) at which reminders are delivered.")),
    "reminders.kinds_off": (
        "json",
        "[]",
        _('Reminders: the kinds this bank does not want, e.g. ["id_expiry"] (maturity, instalment, birthday, id_expiry).'),
    ),
    "reminders.run_local_hour": (
        "int",
        "0",
        _("Reminders: local hour of each branch zone after which the day's reminders are generated."),
    ),
}
