"""The site's home page route, included from ocrm/urls.py by name (the kernel imports no app):
the dashboard for staff who work with customers (workbench.dashboard.views.HomeView)."""

from django.urls import path

from workbench.dashboard import views

urlpatterns = [path("", views.HomeView.as_view(), name="home")]
