from django.db import migrations

from ocrm import beat_schedules

SCHEDULES = [
    {
        "name": "Revenue feed",
        "task": "crossborder.tasks.load_revenue_feeds",
        "minute": "17",
        "description": "Hourly: each bank's revenue feed files (REVENUE_FEED_INBOX/<bank code>/) are loaded once its "
        "local time has passed profitsharing.feed_local_hour (all or nothing per file; refused files go to rejected/).",
    },
]


class Migration(migrations.Migration):
    dependencies = [
        ("crossborder", "0006_xb_request_attachments"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*beat_schedules.run_python(SCHEDULES))]
