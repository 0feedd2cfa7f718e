"""The beat row of the sweeper of runs left behind (ocrm.batch.sweeper), every 5 minutes."""

from django.db import migrations

from ocrm import beat_schedules

SCHEDULES = [
    {
        "name": "Sweep stale job runs",
        "task": "ocrm.tasks.sweep_stale_runs",
        "minute": "*/5",
        "hour": "*",
        "description": "Queue again or fail the job runs whose worker died and whose message was lost (docs/jobs.md).",
        "expire_seconds": 240,
    }
]


class Migration(migrations.Migration):
    dependencies = [("ocrm", "0011_job_schedules_and_error_trace"), ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(*beat_schedules.run_python(SCHEDULES))]
