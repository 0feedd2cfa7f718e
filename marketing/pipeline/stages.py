"""The stages a bank starts with (its administrators rename, reorder and re-weigh them in admin)."""

from django.utils.translation import gettext_lazy as _

# (code, default probability, outcome): written the first time a bank's board is used.
DEFAULT_STAGES = (
    ("lead", 10, "open"),
    ("qualified", 30, "open"),
    ("proposal", 60, "open"),
    ("negotiation", 80, "open"),
    ("won", 100, "won"),
    ("lost", 0, "lost"),
)

# code -> (the name stored, the name shown in the viewer's language while the bank keeps it)
DEFAULT_NAMES = {
    "lead": ("Lead", _("Lead")),
    "qualified": ("Qualified", _("Qualified")),
    "proposal": ("Proposal", _("Proposal")),
    "negotiation": ("Negotiation", _("Negotiation")),
    "won": ("Won", _("Won")),
    "lost": ("Lost", _("Lost")),
}
