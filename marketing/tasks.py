"""Celery imports `marketing.tasks` (autodiscovery); importing each area's tasks module here
registers its tasks. Task names are pinned with name=."""

from marketing.campaigns import tasks as campaigns  # noqa: F401
from marketing.knowledge import tasks as knowledge  # noqa: F401
