"""Cross-border's entries in the navigation bar (see ocrm.navigation)."""

from django.utils.translation import gettext_lazy as _

from ocrm import navigation

CROSSBORDER = _("Cross-border services")


def register_nav():
    # The same permissions as the pages themselves (crossborder.requests.views / agreements.views).
    navigation.register(
        CROSSBORDER, _("Cross-border requests"), "crossborder:requests", ("customers.view_customer",), icon="globe", order=10
    )
    navigation.register(
        CROSSBORDER,
        _("Cross-border agreements"),
        "crossborder:agreements",
        ("sysadmin.view_bank",),
        icon="file-earmark-text",
        order=20,
    )
    navigation.register(
        CROSSBORDER,
        _("Profit statements"),
        "crossborder:profit_statements",
        ("crossborder.view_profitstatement",),
        icon="cash-coin",
        order=50,
    )
    navigation.register(
        CROSSBORDER,
        _("Profit-sharing rules"),
        "crossborder:profit_rules",
        ("crossborder.view_profitsharerule",),
        icon="sliders",
        order=45,
    )
    navigation.register(
        CROSSBORDER,
        _("Cross-border statistics"),
        "crossborder:statistics",
        ("customers.view_customer",),
        icon="bar-chart",
        order=30,
    )
    navigation.register(
        CROSSBORDER,
        _("Revenue feed uploads"),
        "crossborder:revenue_feed_uploads",
        ("crossborder.add_revenueevent",),
        icon="upload",
        order=55,
    )
