"""Celery imports `reports.tasks` (autodiscovery); importing each area's tasks module here
registers its tasks."""

from reports.catalogue import tasks as catalogue  # noqa: F401, E402
