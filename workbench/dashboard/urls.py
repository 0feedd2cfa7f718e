"""The dashboard's routes."""

from django.urls import path

from ocrm import links
from workbench.dashboard import views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("cards/<slug:card>/", views.CardView.as_view(), name="dashboard_card"),
    path("today/", views.TodayView.as_view(), name="dashboard_today"),
    path("today/set-aside/", views.SetAsideView.as_view(), name="dashboard_set_aside"),
    path("shortcuts/", views.ShortcutsView.as_view(), name="shortcuts"),
]

links.register("dashboard", "workbench:dashboard")
