from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from ocrm import parameters, seed
        from reports.analyses import precompute as analyses_precompute
        from reports.appraisal import parameters as appraisal_parameters
        from reports.appraisal import services as appraisal_services
        from reports.appraisal import tasks as appraisal_tasks
        from reports.catalogue import tasks as catalogue_tasks
        from reports.navigation import register_nav
        from reports.snapshots import demo as snapshot_demo
        from reports.snapshots import parameters as snapshot_parameters
        from reports.snapshots import tasks as snapshot_tasks

        register_nav()
        # Snapshots (reports.snapshots): the nightly build and its retention, the demo's snapshots.
        parameters.declare(snapshot_parameters.PARAMETERS)
        snapshot_tasks.register_jobs()
        seed.register(snapshot_demo.SEED_PART)
        # Appraisal (reports.appraisal): parameters, the monthly scores job, the checkers.
        parameters.declare(appraisal_parameters.PARAMETERS)
        appraisal_tasks.register_jobs()
        appraisal_services.register_approvals()
        # Report pages (reports.catalogue): the month-end formatted reports and the subscriptions.
        catalogue_tasks.register_jobs()
        from reports.catalogue import parameters as catalogue_parameters

        parameters.declare(catalogue_parameters.PARAMETERS)  # the time limits of a report run
        # Analyses (reports.analyses): their figures are precomputed by the nightly build.
        analyses_precompute.register()
