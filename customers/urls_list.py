"""URL patterns of this area (included by customers/urls.py)."""

from django.urls import path

from . import views_list

urlpatterns: list = [
    path("", views_list.CustomerListView.as_view(), name="list"),
    path("lookup/", views_list.LookupView.as_view(), name="lookup"),
    path("bulk-tag/", views_list.BulkTagView.as_view(), name="bulk_tag"),
]
