"""The data lifecycle's nightly jobs (ocrm.datalife.tasks), crontab in UTC."""

from django.db import migrations

from ocrm import beat_schedules

SCHEDULES = [
    {
        "name": "Monthly partitions: months ahead, audit-log retention",
        "task": "ocrm.tasks.maintain_partitions",
        "minute": "20",
        "hour": "0",
        "description": "Daily at 00:20 UTC: keep partition.months_ahead monthly partitions ready, move rows out of the "
        "default partitions, drop audit-log months past every bank's audit.retention_days.",
    },
    {
        "name": "Database and file backup",
        "task": "ocrm.tasks.backup_database",
        "minute": "30",
        "hour": "1",
        "description": "Daily at 01:30 UTC: pg_dump and MEDIA_ROOT with a manifest into OCRM_BACKUP_DIR; backups older "
        "than backup.keep_days are removed.",
    },
    {
        "name": "Data clean-up (retention)",
        "task": "ocrm.tasks.purge_old_data",
        "minute": "5",
        "hour": "3",
        "description": "Daily at 03:05 UTC: per bank, remove notifications, staged upload rows and files, feed error "
        "rows and feed files past their keep-days parameters.",
    },
]


class Migration(migrations.Migration):
    dependencies = [("ocrm", "0008_partition_audit_log"), ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(*beat_schedules.run_python(SCHEDULES))]
