"""Celery imports `reports.tasks` (autodiscovery); importing each area's tasks module here
registers its tasks."""

from reports.appraisal import tasks as appraisal  # noqa: F401
from reports.catalogue import tasks as catalogue  # noqa: F401
from reports.snapshots import tasks as snapshots  # noqa: F401
