"""Marketing's routes (included from ocrm/urls.py at "marketing/"), gathered from its areas."""

from marketing.calculators import urls as calculators
from marketing.campaigns import urls as campaigns
from marketing.pipeline import urls as pipeline
from marketing.planning import urls as planning
from marketing.products import urls as products

app_name = "marketing"

AREAS = (campaigns, pipeline, products, calculators, planning)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
