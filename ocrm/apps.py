from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OcrmConfig(AppConfig):
    name = "ocrm"
    verbose_name = _("OCRM kernel")

    def ready(self):
        from ocrm import countries, parameters
        from ocrm.batch import failures, runs
        from ocrm.datalife import setup as datalife
        from ocrm.lists import background

        # The request id travels with the Celery tasks a request starts (message headers).
        from ocrm.monitoring import celery_context  # noqa: F401, PLC0415 - connects its signals
        from ocrm.outbox import parameters as outbox_parameters

        countries.install()
        runs.on_failure(failures.tell_failure)  # a failed job run is told to who watches the bank's jobs
        parameters.declare(outbox_parameters.PARAMETERS)
        datalife.ready()
        background.register_handlers()  # exports with personal data in clear need a checker
