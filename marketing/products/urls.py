"""Routes of the product catalog (under marketing/)."""

from django.urls import path

from marketing.products import views

urlpatterns = [
    path("products/eligible/<str:number>/", views.EligibleSectionView.as_view(), name="products_eligible"),
]
