"""The workbench's routes (included from ocrm/urls.py at "workbench/"), gathered from its areas."""

from workbench.announcements import urls as announcements
from workbench.calendar import urls as calendar
from workbench.channelapi import urls as channelapi
from workbench.dashboard import urls as dashboard
from workbench.inbox import urls as inbox
from workbench.messaging import urls as messaging
from workbench.reminders import urls as reminders
from workbench.servicerequests import urls as servicerequests
from workbench.todo import urls as todo
from workbench.workreports import urls as workreports

app_name = "workbench"

AREAS = (inbox, todo, calendar, reminders, dashboard, workreports, announcements, messaging)
AREAS += (channelapi,)  # the channel API's administrator pages (its API routes are in workbench/api.py)
AREAS += (servicerequests,)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
