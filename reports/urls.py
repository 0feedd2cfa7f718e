"""Reports' routes (included from ocrm/urls.py at "reports/"), gathered from its areas.
Each area adds its own `urls` module to AREAS."""

app_name = "reports"

AREAS = ()

from reports.analyses import urls as analyses_urls  # noqa: E402

AREAS += (analyses_urls,)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
