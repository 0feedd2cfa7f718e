"""Celery imports `workbench.tasks` (autodiscovery); importing each area's tasks module here
registers its tasks. Task names are pinned with name=: beat rows and queued messages name them."""

from workbench.announcements import tasks as announcements  # noqa: F401
from workbench.channelapi import tasks as channelapi  # noqa: F401
from workbench.dashboard import tasks as dashboard  # noqa: F401
from workbench.messaging import tasks as messaging  # noqa: F401
from workbench.reminders import tasks as reminders  # noqa: F401
from workbench.servicerequests import tasks as servicerequests  # noqa: F401
