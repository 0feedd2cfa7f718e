"""The channel API's routes (included from ocrm/urls.py at "api/v1/"), gathered from each area's
api.py. Add an area by importing its api module here and listing it in AREAS."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from workbench.channelapi import api as channelapi
from workbench.servicerequests import api as servicerequests

app_name = "api"

AREAS = (channelapi,)
AREAS += (servicerequests,)

urlpatterns = [route for area in AREAS for route in area.urlpatterns] + [
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
