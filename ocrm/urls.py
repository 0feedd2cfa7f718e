from django.contrib import admin
from django.urls import include, path

from . import export_views, health, notifications, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification_read"),
    path("notifications/read-all/", notifications.notification_read_all, name="notifications_read_all"),
    path("accounts/", include("sysadmin.account_urls")),
    path("sysadmin/", include("sysadmin.urls")),
    path("customers/", include("customers.urls")),
    path("workbench/", include("workbench.urls")),
    path("exports/", export_views.export_list, name="export_list"),
    path("exports/<int:pk>/progress/", export_views.export_progress, name="export_progress"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
    path("exports/<int:pk>/cancel/", export_views.export_cancel, name="export_cancel"),
    path("admin/", admin.site.urls),
]
