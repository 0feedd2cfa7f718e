"""Celery imports `crossborder.tasks` (autodiscovery); importing each area's tasks module here
registers its tasks."""

from crossborder.profitsharing import tasks as profitsharing  # noqa: F401
