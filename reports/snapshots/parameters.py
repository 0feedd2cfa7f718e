"""The parameters the snapshots read (declared from ReportsConfig.ready())."""

from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "reports.snapshot_run_local_hour": (
        "int",
        "3",
        _(
            "Report snapshots: local hour (head office) after which yesterday's snapshots are built "
            "(after the nightly lifecycle job's hour)."
        ),
    ),
    "reports.snapshot_retention_months": (
        "int",
        "36",
        _(
            "Report snapshots: whole months kept before the current one (0 keeps everything). The months are "
            "shared by every bank: the longest of the banks' values applies."
        ),
    ),
}
