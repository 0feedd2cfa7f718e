"""URL patterns of this area (included by customers/urls.py): "my exports"."""

from django.urls import path

from . import views_exports

urlpatterns: list = [
    path("exports/", views_exports.export_list, name="export_list"),
    path("exports/<int:pk>/progress/", views_exports.export_progress, name="export_progress"),
    path("exports/<int:pk>/download/", views_exports.export_download, name="export_download"),
    path("exports/<int:pk>/cancel/", views_exports.export_cancel, name="export_cancel"),
]
