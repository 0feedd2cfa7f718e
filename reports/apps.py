from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from reports.navigation import register_nav

        register_nav()

        # Appraisal (reports.appraisal): parameters, the monthly scores job, the checkers.
        from ocrm import parameters
        from reports.appraisal import parameters as appraisal_parameters
        from reports.appraisal import services as appraisal_services
        from reports.appraisal import tasks as appraisal_tasks
        from reports.navigation import register_appraisal_nav

        parameters.declare(appraisal_parameters.PARAMETERS)
        appraisal_tasks.register_jobs()
        appraisal_services.register_approvals()
        register_appraisal_nav()
