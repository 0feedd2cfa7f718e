"""The opportunity pages (board, move, list, forecast, create)."""

from django.urls import path

from marketing.pipeline import views

urlpatterns = [
    path("pipeline/", views.BoardView.as_view(), name="pipeline_board"),
    path("pipeline/list/", views.OpportunityListView.as_view(), name="opportunities"),
    path("pipeline/forecast/", views.ForecastView.as_view(), name="pipeline_forecast"),
    path("pipeline/new/", views.OpportunityCreateView.as_view(), name="opportunity_create"),
    path("pipeline/<int:pk>/move/", views.MoveView.as_view(), name="opportunity_move"),
    path("pipeline/customer/<str:number>/", views.CustomerOpportunitiesView.as_view(), name="pipeline_customer"),
]
