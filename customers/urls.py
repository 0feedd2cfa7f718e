"""customers' pages; each area keeps its routes in its own module."""

from . import (
    urls_360,
    urls_assignment,
    urls_batch,
    urls_detail,
    urls_edit,
    urls_feeds,
    urls_lifecycle,
    urls_list,
    urls_matching,
    urls_sharing,
)

app_name = "customers"

urlpatterns = [
    *urls_list.urlpatterns,
    *urls_batch.urlpatterns,
    *urls_feeds.urlpatterns,
    *urls_edit.urlpatterns,
    *urls_360.urlpatterns,
    *urls_sharing.urlpatterns,
    *urls_lifecycle.urlpatterns,
    *urls_assignment.urlpatterns,
    *urls_matching.urlpatterns,
    *urls_detail.urlpatterns,
]
