"""sysadmin's pages; each area keeps its routes in its own module."""

from . import urls_audit, urls_imports, urls_jobs, urls_org

app_name = "sysadmin"

urlpatterns = [
    *urls_org.urlpatterns,
    *urls_imports.urlpatterns,
    *urls_jobs.urlpatterns,
    *urls_audit.urlpatterns,
]
