"""The workbench's routes (included from ocrm/urls.py at "workbench/"), gathered from its areas."""

from workbench.announcements import urls as announcements
from workbench.inbox import urls as inbox
from workbench.todo import urls as todo

app_name = "workbench"

AREAS = (inbox, todo, announcements)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
