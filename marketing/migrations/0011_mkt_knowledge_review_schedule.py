"""The nightly knowledge review notice's beat schedule (marketing.knowledge.tasks)."""

from django.db import migrations

from ocrm import beat_schedules

SCHEDULES = [
    {
        "name": "Nightly knowledge review notices",
        "task": "marketing.tasks.knowledge_review",
        "minute": "40",
        "hour": "22",
        "description": "Daily at 22:40 UTC: owners hear of their articles that expired or are due for review (once each).",
    }
]


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0010_mkt_knowledge_approval_attachments"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*beat_schedules.run_python(SCHEDULES))]
