from django.db import migrations

from ocrm import beat_schedules

SCHEDULES = [
    {
        "name": "Performance scores",
        "task": "reports.tasks.compute_kpi_scores",
        "minute": "41",
        "description": "Hourly at :41 UTC: each bank past its local month end (run hour) gets the month's (and quarter's) KPI scores.",
    },
]


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0020_kpi_appraisal"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*beat_schedules.run_python(SCHEDULES))]
