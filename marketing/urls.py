"""Marketing's routes (included from ocrm/urls.py at "marketing/"), gathered from its areas."""

from marketing.calculators import urls as calculators

app_name = "marketing"

AREAS = (calculators,)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
