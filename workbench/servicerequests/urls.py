"""The service request pages."""

from django.urls import path

from workbench.servicerequests import views

urlpatterns = [
    path("service-requests/", views.ServiceRequestListView.as_view(), name="service_requests"),
    path("service-requests/<int:pk>/", views.ServiceRequestDetailView.as_view(), name="service_request"),
]
