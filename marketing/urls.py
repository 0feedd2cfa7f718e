"""Marketing's routes (included from ocrm/urls.py at "marketing/"), gathered from its areas."""

app_name = "marketing"

AREAS = ()

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
