"""Reports' routes (included from ocrm/urls.py at "reports/"), gathered from its areas.
Each area adds its own `urls` module to AREAS."""

from reports.catalogue import urls as catalogue_urls

app_name = "reports"

AREAS = ()
AREAS += (catalogue_urls,)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
