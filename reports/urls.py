"""Reports' routes (included from ocrm/urls.py at "reports/"), gathered from its areas.
Each area adds its own `urls` module to AREAS."""

app_name = "reports"

AREAS = ()

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
