from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from reports.navigation import register_nav

        register_nav()

        from ocrm import parameters as ocrm_parameters
        from ocrm import seed
        from reports.snapshots import demo as snapshot_demo
        from reports.snapshots import parameters as snapshot_parameters
        from reports.snapshots import tasks as snapshot_tasks

        ocrm_parameters.declare(snapshot_parameters.PARAMETERS)
        snapshot_tasks.register_jobs()  # the nightly snapshots and their retention
        seed.register(snapshot_demo.SEED_PART)  # the demo banks' snapshots of the last days and month ends

        from reports.analyses import precompute as analyses_precompute

        analyses_precompute.register()  # the analyses' figures are precomputed by the nightly build
