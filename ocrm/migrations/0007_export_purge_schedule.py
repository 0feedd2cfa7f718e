"""Beat schedule of the nightly removal of old background export files (see 0004 for the
pattern: a crontab row in UTC, editable in admin; an existing row of the name is kept)."""

from django.db import migrations
from django.utils import timezone

NAME = "Export files clean-up"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="45", hour="2", day_of_month="*", month_of_year="*", day_of_week="*", timezone="UTC",
    )
    PeriodicTask.objects.create(
        name=NAME, task="ocrm.tasks.purge_export_files", crontab=crontab, args="[]", kwargs="{}", enabled=True,
        description="Nightly at 02:45 UTC: remove background export files older than export.keep_days (per bank).",
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ocrm", "0006_export_files"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
