from django.db import migrations

from ocrm import beat_schedules

SCHEDULES = [
    {
        "name": "Cross-border escalation",
        "task": "crossborder.tasks.escalate_requests",
        "minute": "*/15",
        "description": "Every 15 minutes: open cross-border requests at 80% and 100% of their service time "
        "notify the officer and the requester (only in their local waking hours).",
    },
]


class Migration(migrations.Migration):
    dependencies = [
        ("crossborder", "0002_xborder_service_types"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*beat_schedules.run_python(SCHEDULES))]
