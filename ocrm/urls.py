"""The project's routes: the kernel's pages, then each app's, then Django admin."""

from django.contrib import admin
from django.urls import include, path

from ocrm import health, views
from ocrm.lists import views as list_views
from ocrm.monitoring import views as monitoring

urlpatterns = [
    # The home page: the dashboard for staff who work with customers, else ocrm.views.home (issue 14).
    path("", include("workbench.dashboard.home")),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", monitoring.prometheus_metrics, name="metrics"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("notifications/", include("ocrm.notifications.urls")),
    path("outbox/", include("ocrm.outbox.urls")),
    path("exports/", include("ocrm.lists.urls")),
    path("lists/default-filter/", list_views.default_filter, name="list_default_filter"),
    path("accounts/", include("sysadmin.accounts.urls")),
    # The jobs pages are the kernel's; they keep their place beside the other administration pages.
    path("sysadmin/jobs/", include("ocrm.batch.urls")),
    path("sysadmin/monitor/", include("ocrm.monitoring.urls")),
    path("sysadmin/", include("sysadmin.urls")),
    path("customers/", include("customers.urls")),
    path("workbench/", include("workbench.urls")),
    path("marketing/", include("marketing.urls")),
    path("crossborder/", include("crossborder.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include("workbench.api")),
    path("admin/", admin.site.urls),
]

# The 500 page names the request id; 400, 403 (and CSRF failures: 403_csrf.html) and 404 are Django's
# handlers drawing templates/4xx.html in the site's layout.
handler500 = "ocrm.views.server_error"
