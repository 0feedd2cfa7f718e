"""Cross-border's routes (included from ocrm/urls.py at "crossborder/"), gathered from its areas."""

from crossborder.agreements import urls as agreements
from crossborder.requests import urls as requests

app_name = "crossborder"

AREAS = (requests, agreements)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
