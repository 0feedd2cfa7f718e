from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self):
        from marketing.navigation import register_pipeline_nav
        from marketing.pipeline import reminders as pipeline_reminders
        from marketing.pipeline import roles as pipeline_roles
        from marketing.pipeline import services as pipeline
        from ocrm import parameters
        from workbench import desk

        pipeline_roles.grant()  # opportunity permissions for the bank roles (sysadmin.roles.sync_roles)
        register_pipeline_nav()
        parameters.declare(pipeline_reminders.PARAMETERS)  # pipeline.stale_days
        pipeline_reminders.register()  # the "stale opportunity" reminder kind (workbench.reminders)
        desk.register_activity("opportunities", _("Opportunities"), pipeline.moves_and_wins, order=40)
