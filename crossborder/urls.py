"""Cross-border's routes (included from ocrm/urls.py at "crossborder/"), gathered from its areas."""

from crossborder.profitsharing import urls as profitsharing

app_name = "crossborder"

AREAS = (profitsharing,)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
