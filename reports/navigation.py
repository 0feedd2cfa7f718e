"""Reports' entries in the navigation bar (see ocrm.navigation); each area registers its own
entries from a function here, called by register_nav()."""

from django.utils.translation import gettext_lazy as _

from ocrm import navigation

REPORTS = _("Reports")


def register_nav():
    register_catalogue_nav()
    register_analyses_nav()
    register_appraisal_nav()


def register_analyses_nav():
    """The ACRM analyses (reports.analyses): the catalogue and its four analyses."""
    navigation.register(REPORTS, _("ACRM analyses"), "reports:analyses", ["reports.view_analyses"], icon="graph-up", order=60)
    navigation.register(
        REPORTS, _("Contribution (80/20)"), "reports:analyses_pareto", ["reports.view_analyses"], icon="pie-chart", order=61
    )
    navigation.register(
        REPORTS, _("Customer segments"), "reports:analyses_segments", ["reports.view_analyses"], icon="grid-3x3", order=62
    )
    navigation.register(
        REPORTS,
        _("Churn early warning"),
        "reports:analyses_churn",
        ["reports.view_analyses"],
        icon="exclamation-triangle",
        order=63,
    )
    navigation.register(
        REPORTS,
        _("Potential risk of loans"),
        "reports:analyses_risk",
        ["reports.view_credit_risk"],
        icon="shield-exclamation",
        order=64,
    )


def register_appraisal_nav():
    """Appraisal (reports.appraisal): the same permissions as the pages themselves."""
    navigation.register(REPORTS, _("My scorecard"), "reports:kpi_my_scorecard", ("reports.view_score",), icon="award", order=60)
    navigation.register(REPORTS, _("Team scores"), "reports:kpi_team", ("reports.view_team_scores",), icon="trophy", order=61)
    navigation.register(REPORTS, _("KPI schemes"), "reports:kpi_schemes", ("reports.view_kpischeme",), icon="sliders", order=62)


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
