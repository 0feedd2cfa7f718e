"""Django imports `workbench.admin`; each area's admin module registers its models."""

from workbench.announcements import admin as announcements  # noqa: F401
from workbench.calendar import admin as calendar  # noqa: F401
from workbench.channelapi import admin as channelapi  # noqa: F401
from workbench.messaging import admin as messaging  # noqa: F401
from workbench.reminders import admin as reminders  # noqa: F401
from workbench.servicerequests import admin as servicerequests  # noqa: F401
from workbench.todo import admin as todo  # noqa: F401
