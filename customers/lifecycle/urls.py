"""Routes of the lifecycle area."""

from django.urls import path

from customers.lifecycle import views

urlpatterns = [
    path("lifecycle/changes/", views.LifecycleChangeListView.as_view(), name="lifecycle_changes"),
]
