"""Cross-border's routes (included from ocrm/urls.py at "crossborder/"), gathered from its areas."""

app_name = "crossborder"

AREAS = ()

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
