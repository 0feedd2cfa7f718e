from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OcrmConfig(AppConfig):
    name = "ocrm"
    verbose_name = _("OCRM kernel")

    def ready(self):
        from ocrm import countries  # noqa: PLC0415 (ready() is where the project wires itself up)

        countries.install()
