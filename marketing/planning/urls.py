"""Routes of wealth planning (below a customer's number)."""

from django.urls import path

from marketing.planning import views

urlpatterns = [
    path("planning/<str:number>/", views.PlanView.as_view(), name="plan"),
    path("planning/<str:number>/illustrations/", views.IllustrationListView.as_view(), name="plan_illustrations"),
    path("planning/<str:number>/illustrations/<int:pk>/", views.IllustrationView.as_view(), name="plan_illustration"),
    path("planning/<str:number>/illustrations/<int:pk>/print/", views.IllustrationPrintView.as_view(), name="plan_print"),
]
