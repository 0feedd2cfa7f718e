"""Routes of "My exports" (included from ocrm/urls.py at "exports/"; names without a namespace)."""

from django.urls import path

from ocrm import links
from ocrm.lists import export_views

urlpatterns = [
    path("", export_views.export_list, name="export_list"),
    path("<int:pk>/progress/", export_views.export_progress, name="export_progress"),
    path("<int:pk>/download/", export_views.export_download, name="export_download"),
    path("<int:pk>/cancel/", export_views.export_cancel, name="export_cancel"),
]

links.register("my_exports", "export_list")
