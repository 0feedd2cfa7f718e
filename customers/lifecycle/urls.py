"""Routes of the lifecycle area."""

from django.urls import path

from customers.lifecycle import views
from ocrm import links

urlpatterns = [
    path("lifecycle/changes/", views.LifecycleChangeListView.as_view(), name="lifecycle_changes"),
]

links.register("lifecycle_changes", "customers:lifecycle_changes")
