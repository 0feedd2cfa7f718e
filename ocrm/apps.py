from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OcrmConfig(AppConfig):
    name = "ocrm"
    verbose_name = _("OCRM kernel")

    def ready(self):
        from ocrm.lists import background

        background.register_handlers()  # exports with personal data in clear need a checker
