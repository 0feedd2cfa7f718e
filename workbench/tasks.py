"""Celery imports `workbench.tasks` (autodiscovery); importing each area's tasks module here
registers its tasks. Task names are pinned with name=: beat rows and queued messages name them."""

from workbench.messaging import tasks as messaging  # noqa: F401
