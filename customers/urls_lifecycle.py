"""URL patterns of the lifecycle area (included by customers/urls.py, before the
"<str:number>/..." customer routes)."""

from django.urls import path

from . import views_lifecycle

urlpatterns: list = [
    path("lifecycle/changes/", views_lifecycle.LifecycleChangeListView.as_view(), name="lifecycle_changes"),
]
