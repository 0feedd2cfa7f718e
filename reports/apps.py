from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from reports.navigation import register_nav

        register_nav()
        from reports.catalogue import tasks as catalogue_tasks

        catalogue_tasks.register_jobs()
