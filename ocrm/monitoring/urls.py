"""The operator page (included from ocrm/urls.py at "sysadmin/monitor/")."""

from django.urls import path

from ocrm.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.operator_page, name="operator"),
]
