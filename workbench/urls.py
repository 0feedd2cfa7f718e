"""The workbench's routes (included from ocrm/urls.py at "workbench/"), gathered from its areas."""

from workbench.inbox import urls as inbox
from workbench.messaging import urls as messaging
from workbench.todo import urls as todo

app_name = "workbench"

AREAS = (inbox, todo, messaging)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
