"""Beat schedule of the nightly removal of old background export files (see
ocrm.beat_schedules: a crontab row in UTC, editable in admin; an existing row of the name is kept)."""

from django.db import migrations

from ocrm import beat_schedules

SCHEDULE = {
    "name": "Export files clean-up",
    "task": "ocrm.tasks.purge_export_files",
    "minute": "45", "hour": "2",
    "description": "Nightly at 02:45 UTC: remove background export files older than export.keep_days (per bank).",
}


class Migration(migrations.Migration):
    dependencies = [
        ("ocrm", "0006_export_files"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*beat_schedules.run_python([SCHEDULE]))]
