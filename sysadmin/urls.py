"""sysadmin's pages, gathered from its areas (the jobs pages are the kernel's: ocrm/batch/urls.py)."""

from sysadmin.audit import urls as audit
from sysadmin.imports import urls as imports
from sysadmin.org import urls as org
from sysadmin.personal import urls as personal

app_name = "sysadmin"

urlpatterns = [*org.urlpatterns, *imports.urlpatterns, *audit.urlpatterns]
urlpatterns += personal.urlpatterns
