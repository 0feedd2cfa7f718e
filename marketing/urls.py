"""Marketing's routes (included from ocrm/urls.py at "marketing/"), gathered from its areas."""

from marketing.calculators import urls as calculators
from marketing.campaigns import urls as campaigns
from marketing.knowledge import urls as knowledge
from marketing.pipeline import urls as pipeline
from marketing.planning import urls as planning
from marketing.products import urls as products
from marketing.prospects import urls as prospects

app_name = "marketing"

AREAS = (campaigns, pipeline, prospects, products, calculators, planning)
AREAS += (knowledge,)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
