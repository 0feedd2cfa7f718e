"""Reports' entries in the navigation bar (see ocrm.navigation); each area registers its own
entries from a function here, called by register_nav()."""

from django.utils.translation import gettext_lazy as _

from ocrm import navigation

REPORTS = _("Reports")


def register_nav():
    pass
    register_catalogue_nav()


def register_catalogue_nav():
    navigation.register(
        REPORTS, _("Report catalogue"), "reports:catalogue", ("reports.view_reports",), icon="bar-chart", order=10
    )
    navigation.register(
        REPORTS,
        _("My report subscriptions"),
        "reports:subscriptions",
        ("reports.view_reports", "reports.subscribe_reports"),
        icon="calendar-check",
        order=11,
    )
