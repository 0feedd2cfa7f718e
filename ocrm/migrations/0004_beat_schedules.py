"""The batch layer's schedules as django-celery-beat rows (crontab, UTC), editable in
Django admin: beat runs with the DatabaseScheduler (settings.CELERY_BEAT_SCHEDULER).

Existing rows of the same name are left as the administrator edited them."""

from django.db import migrations
from django.utils import timezone

SCHEDULES = [
    {
        "name": "Organisation inbox import",
        "task": "sysadmin.imports.tasks.import_inbox",
        "crontab": {"minute": "*/5", "hour": "*"},
        # A backlog of five-minute ticks (worker down for hours) is pointless: drop stale ones.
        "expire_seconds": 270,
        "description": "Every 5 minutes: load the files dropped in the organisation-data inbox.",
    },
    {
        "name": "Audit-log retention clean-up",
        "task": "sysadmin.tasks.purge_audit_log",
        "crontab": {"minute": "30", "hour": "2"},
        "expire_seconds": None,
        "description": "Nightly at 02:30 UTC: delete audit entries older than audit.retention_days (per bank).",
    },
    {
        "name": "Password-expiry notices",
        "task": "sysadmin.tasks.send_password_expiry_notices",
        "crontab": {"minute": "0", "hour": "6"},
        "expire_seconds": None,
        "description": "Daily at 06:00 UTC: notify staff whose password expires within password.expiry_notice_days.",
    },
]


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for spec in SCHEDULES:
        if PeriodicTask.objects.filter(name=spec["name"]).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=spec["crontab"]["minute"], hour=spec["crontab"]["hour"], day_of_month="*", month_of_year="*",
            day_of_week="*", timezone="UTC",
        )
        PeriodicTask.objects.create(
            name=spec["name"], task=spec["task"], crontab=crontab, args="[]", kwargs="{}", enabled=True,
            expire_seconds=spec["expire_seconds"], description=spec["description"],
        )
    # A running beat reloads its schedule when this timestamp moves.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[spec["name"] for spec in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ocrm", "0003_notifications"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
