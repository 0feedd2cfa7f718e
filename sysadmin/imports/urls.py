"""URL patterns of the organisation-data import (included by sysadmin/urls.py)."""

from django.urls import path

from sysadmin.imports import views

urlpatterns: list = [
    path("imports/", views.ImportListView.as_view(), name="import_list"),
    path("imports/upload/", views.ImportUploadView.as_view(), name="import_upload"),
    path("imports/templates/<slug:kind>.xlsx", views.ImportTemplateView.as_view(), name="import_template"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/errors.xlsx", views.ImportErrorsView.as_view(), name="import_errors_xlsx"),
    path("imports/<int:pk>/apply/", views.ImportApplyView.as_view(), name="import_apply"),
]
