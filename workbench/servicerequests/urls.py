"""The service request pages."""

from django.urls import path

from workbench.servicerequests import views

urlpatterns = [
    path("service-requests/", views.ServiceRequestListView.as_view(), name="service_requests"),
    path("service-requests/<int:pk>/", views.ServiceRequestDetailView.as_view(), name="service_request"),
    path("service-requests/new/<str:number>/", views.ServiceRequestCreateView.as_view(), name="service_request_create"),
    path("service-requests/<int:pk>/edit/", views.ServiceRequestEditView.as_view(), name="service_request_edit"),
    path("service-requests/<int:pk>/send/", views.ServiceRequestSendView.as_view(), name="service_request_send"),
    path("service-requests/<int:pk>/cancel/", views.ServiceRequestCancelView.as_view(), name="service_request_cancel"),
    path(
        "service-requests/customer/<str:number>/",
        views.CustomerRequestsSectionView.as_view(),
        name="customer_service_requests",
    ),
]
