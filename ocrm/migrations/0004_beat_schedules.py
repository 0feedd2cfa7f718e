"""The batch layer's schedules as django-celery-beat rows (crontab, UTC), editable in
Django admin: beat runs with the DatabaseScheduler (settings.CELERY_BEAT_SCHEDULER).

Existing rows of the same name are left as the administrator edited them."""

from django.db import migrations

from ocrm import beat_schedules

SCHEDULES = [
    {
        "name": "Organisation inbox import",
        "task": "sysadmin.imports.tasks.import_inbox",
        "minute": "*/5", "hour": "*",
        # A backlog of five-minute ticks (worker down for hours) is pointless: drop stale ones.
        "expire_seconds": 270,
        "description": "Every 5 minutes: load the files dropped in the organisation-data inbox.",
    },
    {
        "name": "Audit-log retention clean-up",
        "task": "sysadmin.tasks.purge_audit_log",
        "minute": "30", "hour": "2",
        "expire_seconds": None,
        "description": "Nightly at 02:30 UTC: delete audit entries older than audit.retention_days (per bank).",
    },
    {
        "name": "Password-expiry notices",
        "task": "sysadmin.tasks.send_password_expiry_notices",
        "minute": "0", "hour": "6",
        "expire_seconds": None,
        "description": "Daily at 06:00 UTC: notify staff whose password expires within password.expiry_notice_days.",
    },
]


class Migration(migrations.Migration):
    dependencies = [
        ("ocrm", "0003_notifications"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*beat_schedules.run_python(SCHEDULES))]
