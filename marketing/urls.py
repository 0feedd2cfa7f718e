"""Marketing's routes (included from ocrm/urls.py at "marketing/"), gathered from its areas."""

from marketing.calculators import urls as calculators
from marketing.planning import urls as planning

app_name = "marketing"

AREAS = (calculators, planning)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
