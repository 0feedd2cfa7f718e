"""The beat rows of the snapshot jobs (crontab, UTC; platform operators edit them in Django admin)."""

from django.db import migrations

from ocrm import beat_schedules

SCHEDULES = [
    {
        "name": "Report snapshots",
        "task": "reports.tasks.build_snapshots",
        "minute": "45",
        "description": "Hourly at :45 UTC: each active bank whose local time has passed "
        "reports.snapshot_run_local_hour gets the snapshots of its local yesterday (once per date).",
    },
    {
        "name": "Report snapshots: retention",
        "task": "reports.tasks.drop_old_snapshots",
        "minute": "53",
        "hour": "4",
        "description": "Daily at 04:53 UTC: the snapshot months past reports.snapshot_retention_months are dropped.",
    },
]


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_snap_partition_snapshots"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*beat_schedules.run_python(SCHEDULES))]
