from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self):
        from marketing import navigation
        from marketing import parameters as marketing_parameters
        from ocrm import parameters

        parameters.declare(marketing_parameters.PARAMETERS)  # calculators (marketing.calculators)
        navigation.register_calculators_nav()

        from marketing.planning import sections as planning_sections

        planning_sections.register_sections()  # wealth plans on the 360 page (marketing.planning)
