"""Reports' routes (included from ocrm/urls.py at "reports/"), gathered from its areas."""

from reports.analyses import urls as analyses
from reports.appraisal import urls as appraisal
from reports.catalogue import urls as catalogue

app_name = "reports"

AREAS = (catalogue, analyses, appraisal)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
