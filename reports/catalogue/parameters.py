"""The parameters the report pages read (declared from ReportsConfig.ready())."""

from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "reports.page_timeout_seconds": (
        "int",
        "30",
        _("Report pages: seconds a report may take inside a request before it stops with that reason (run it on the worker)."),
    ),
    "reports.worker_timeout_seconds": (
        "int",
        "900",
        _("Reports run on the worker: seconds one report may take before it stops and fails with that reason."),
    ),
}
