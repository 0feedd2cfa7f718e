"""Marketing's routes (included from ocrm/urls.py at "marketing/"), gathered from its areas."""

from marketing.products import urls as products_urls

app_name = "marketing"

AREAS = (products_urls,)

urlpatterns = [route for area in AREAS for route in area.urlpatterns]
