"""The beat row of the outbox's periodic task (ocrm.outbox.tasks.release_and_expire), every minute:
held messages released in their recipient's morning, unanswered ones tried again, stale ones expired."""

from django.db import migrations

from ocrm import beat_schedules

SCHEDULES = [
    {
        "name": "Outbox: release held messages and expire stale ones",
        "task": "ocrm.outbox.tasks.release_and_expire",
        "minute": "*",
        "hour": "*",
        "description": "Release messages whose quiet hours ended, retry unanswered ones, expire those without a final report (docs/outbox.md).",
        "expire_seconds": 50,
    }
]


class Migration(migrations.Migration):
    dependencies = [("ocrm", "0013_outbox"), ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(*beat_schedules.run_python(SCHEDULES))]
