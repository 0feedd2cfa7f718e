"""URL patterns of the 360° page (included by customers/urls.py, after the fixed-word routes)."""

from django.urls import path

from . import views_detail

urlpatterns: list = [
    path("<str:number>/", views_detail.CustomerDetailView.as_view(), name="detail"),
    path("<str:number>/transactions/", views_detail.CustomerTransactionsView.as_view(), name="transactions"),
    path("<str:number>/documents/<int:pk>/", views_detail.CustomerDocumentView.as_view(), name="document"),
    path("<str:number>/reveal/", views_detail.CustomerRevealView.as_view(), name="reveal"),
]
