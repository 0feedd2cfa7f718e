from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrossborderConfig(AppConfig):
    name = "crossborder"
    verbose_name = _("Cross-border services")

    def ready(self):
        from crossborder.requests import parameters as request_parameters
        from ocrm import parameters

        parameters.declare(request_parameters.PARAMETERS)
        from crossborder.requests import measures

        measures.register()
