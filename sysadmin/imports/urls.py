"""URL patterns of the organisation-data import (included by sysadmin/urls.py)."""

from django.urls import path

from sysadmin.imports import views

urlpatterns: list = [
    path("imports/", views.ImportListView.as_view(), name="import_list"),
    path("imports/upload/", views.ImportUploadView.as_view(), name="import_upload"),
    path("imports/templates/<slug:kind>.xlsx", views.import_template, name="import_template"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/errors.xlsx", views.import_errors_xlsx, name="import_errors_xlsx"),
    path("imports/<int:pk>/apply/", views.import_apply, name="import_apply"),
]
