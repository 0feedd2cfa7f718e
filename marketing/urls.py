"""Marketing's routes (included from ocrm/urls.py at "marketing/"), gathered from its areas."""

from marketing.campaigns import urls as campaigns

app_name = "marketing"

AREAS = (campaigns,)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
