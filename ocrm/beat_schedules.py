"""Seeding django-celery-beat schedules from data migrations (crontab, UTC). Beat runs with
the DatabaseScheduler, so administrators edit these rows in Django admin afterwards; an
existing row of the same name is left as they edited it.

    SCHEDULES = [{"name": ..., "task": ..., "minute": "15", "hour": "1", "description": ...,
                  "expire_seconds": None}]
    operations = [migrations.RunPython(*beat_schedules.run_python(SCHEDULES))]

Keep this module's behaviour stable: migrations import it."""

from django.utils import timezone


def run_python(schedules):
    """(forward, backward) functions for migrations.RunPython that add / remove the schedules."""

    def add(apps, schema_editor):
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
        for spec in schedules:
            if PeriodicTask.objects.filter(name=spec["name"]).exists():
                continue
            crontab, _ = CrontabSchedule.objects.get_or_create(
                minute=spec.get("minute", "*"),
                hour=spec.get("hour", "*"),
                day_of_month="*",
                month_of_year="*",
                day_of_week="*",
                timezone="UTC",
            )
            PeriodicTask.objects.create(
                name=spec["name"],
                task=spec["task"],
                crontab=crontab,
                args="[]",
                kwargs="{}",
                enabled=True,
                expire_seconds=spec.get("expire_seconds"),
                description=spec["description"],
            )
        # A running beat reloads its schedule when this timestamp moves.
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})

    def remove(apps, schema_editor):
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        PeriodicTask.objects.filter(name__in=[spec["name"] for spec in schedules]).delete()

    return add, remove
