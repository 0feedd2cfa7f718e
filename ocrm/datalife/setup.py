"""What the data lifecycle adds to the kernel's registries (called from OcrmConfig.ready())."""

from django.apps import apps
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from ocrm import parameters
from ocrm.datalife import retention, tasks
from ocrm.imports.models import StagedBatch, StagedRow
from ocrm.notifications.models import Notification


def _per_model(template, model):
    return template % {"model": model._meta.verbose_name_plural}


# A count's label in the reader's language: translated when shown, not when the app starts.
per_model = lazy(_per_model, str)

PARAMETERS = {
    "partition.months_ahead": (
        "int",
        "3",
        _("Months ahead for which the nightly job keeps the monthly partitions of the largest tables ready."),
    ),
    "backup.keep_days": ("int", "14", _("Days a nightly backup is kept before the backup job removes it (0 = keep all).")),
    "notification.keep_days": ("int", "180", _("Days a notification is kept before the clean-up removes it (0 = keep all).")),
    "import.staging_keep_days": (
        "int",
        "30",
        _(
            "Days the staged rows and the stored file of an applied or rejected upload (organisation data, batch "
            "maintenance) are kept; they hold personal data as sent (0 = keep all)."
        ),
    ),
}


def ready():
    parameters.declare(PARAMETERS)
    retention.register(
        retention.Purge(
            "notifications", _("notifications removed"), Notification, "bank_id", "created_at", "notification.keep_days"
        )
    )
    # Every upload kind (ocrm.imports): its rows hold the cells as sent. A batch still awaiting
    # its apply keeps them.
    done = [StagedBatch.Status.APPLIED, StagedBatch.Status.REJECTED]
    for model in apps.get_models():
        label = model._meta.label_lower.replace(".", "_")
        if issubclass(model, StagedRow):
            retention.register(
                retention.Purge(
                    f"{label}_rows",
                    per_model(_("staged rows removed (%(model)s)"), model),
                    model,
                    "batch__bank_id",
                    "batch__created_at",
                    "import.staging_keep_days",
                    Q(batch__status__in=done),
                )
            )
        elif issubclass(model, StagedBatch):
            retention.register(
                retention.Purge(
                    f"{label}_files",
                    per_model(_("uploaded files removed (%(model)s)"), model),
                    model,
                    "bank_id",
                    "created_at",
                    "import.staging_keep_days",
                    Q(status__in=done),
                    file_field="file",
                )
            )
    tasks.register_jobs()
