"""Reports' entries in the navigation bar (see ocrm.navigation); each area registers its own
entries from a function here, called by register_nav()."""

from django.utils.translation import gettext_lazy as _

from ocrm import navigation

REPORTS = _("Reports")


def register_nav():
    pass


def register_appraisal_nav():
    """Appraisal (reports.appraisal): the same permissions as the pages themselves."""
    navigation.register(REPORTS, _("My scorecard"), "reports:kpi_my_scorecard", ("reports.view_score",), icon="award", order=60)
    navigation.register(REPORTS, _("Team scores"), "reports:kpi_team", ("reports.view_team_scores",), icon="trophy", order=61)
    navigation.register(REPORTS, _("KPI schemes"), "reports:kpi_schemes", ("reports.view_kpischeme",), icon="sliders", order=62)
