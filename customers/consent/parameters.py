"""The bank's contact-policy parameters (declared from customers.consent.services.register())."""

from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "contact.frequency_cap_contacts": (
        "int",
        "4",
        _("Contact policy: at most this many marketing contacts of a customer, over all campaigns and channels."),
    ),
    "contact.frequency_cap_days": ("int", "30", _("Contact policy: the rolling window of the frequency cap, in days.")),
}
