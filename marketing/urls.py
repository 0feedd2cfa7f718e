"""Marketing's routes (included from ocrm/urls.py at "marketing/"), gathered from its areas."""

from marketing.pipeline import urls as pipeline

app_name = "marketing"

AREAS = (pipeline,)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
