from django.contrib import admin
from django.urls import include, path

from . import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/", include("sysadmin.account_urls")),
    path("sysadmin/", include("sysadmin.urls")),
    path("admin/", admin.site.urls),
]
