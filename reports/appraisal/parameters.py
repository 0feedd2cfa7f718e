"""The parameters appraisal reads (declared from ReportsConfig.ready())."""

from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "appraisal.run_local_hour": (
        "int",
        "5",
        _("Appraisal: local hour (head office) after which the month that ended is scored (after the nightly snapshot)."),
    ),
}
