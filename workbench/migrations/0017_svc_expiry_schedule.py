from django.db import migrations

from ocrm import beat_schedules

SCHEDULES = [
    {
        "name": "Service requests expiry",
        "task": "workbench.tasks.expire_service_requests",
        "minute": "*/10",
        "description": "Every 10 minutes: service requests not confirmed by the end of their branch's local day N expire.",
    },
]


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0016_svcreq_service_requests"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*beat_schedules.run_python(SCHEDULES))]
