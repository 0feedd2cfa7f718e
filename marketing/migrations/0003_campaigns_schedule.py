"""The nightly campaign conversion job's beat schedule (marketing.campaigns.tasks)."""

from django.db import migrations

from ocrm import beat_schedules

SCHEDULES = [
    {
        "name": "Nightly campaign conversions",
        "task": "marketing.tasks.campaign_conversions",
        "minute": "15",
        "hour": "20",
        "description": "Daily at 20:15 UTC: campaign members whose holdings show the product opened convert; credits.",
    }
]


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0002_campaigns_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*beat_schedules.run_python(SCHEDULES))]
