"""Cross-border's entries in the navigation bar (see ocrm.navigation)."""

from django.utils.translation import gettext_lazy as _

from ocrm import navigation

CROSSBORDER = _("Cross-border services")


def register_nav():
    navigation.register(
        CROSSBORDER,
        _("Profit statements"),
        "crossborder:profit_statements",
        ("crossborder.view_profitstatement",),
        icon="cash-coin",
        order=50,
    )
