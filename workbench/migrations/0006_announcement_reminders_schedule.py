"""The daily announcement reminders' beat schedule (workbench.announcements.tasks)."""

from django.db import migrations

from ocrm import beat_schedules

SCHEDULES = [
    {
        "name": "Daily announcement reminders",
        "task": "workbench.tasks.announcement_reminders",
        "minute": "30",
        "hour": "1",
        "description": "Daily at 01:30 UTC: remind staff who have not acknowledged an announcement; tell supervisors after N days.",
    }
]


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0005_announcements"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*beat_schedules.run_python(SCHEDULES))]
