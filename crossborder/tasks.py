"""Celery imports `crossborder.tasks` (autodiscovery); importing each area's tasks module here
registers its tasks."""

from crossborder.profitsharing import tasks as profitsharing  # noqa: F401
from crossborder.requests import tasks as requests  # noqa: F401
