"""URL patterns of this area (included by sysadmin/urls.py)."""

from django.urls import path

from ocrm import links
from sysadmin.audit import views as audit_views

urlpatterns: list = [
    path("audit/", audit_views.AuditListView.as_view(), name="audit_list"),
    path("audit/<int:pk>/", audit_views.AuditDetailView.as_view(), name="audit_detail"),
]

# Alerts link to the log (ocrm.links): the PII reveal watch (customers.profile.services).
links.register("audit_log", "sysadmin:audit_list")
