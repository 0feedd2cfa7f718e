"""customers' pages; each area keeps its routes in its own module."""

from . import urls_360, urls_batch, urls_detail, urls_edit, urls_list

app_name = "customers"

urlpatterns = [
    *urls_list.urlpatterns,
    *urls_batch.urlpatterns,
    *urls_edit.urlpatterns,
    *urls_360.urlpatterns,
    *urls_detail.urlpatterns,
]
