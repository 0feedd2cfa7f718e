"""The service request pages."""

from django.urls import path

from ocrm import links
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
    # The back office: a queue per role, the step page and its buttons, the attachments' files.
    path("service-requests/queue/", views.ProcessingQueuesView.as_view(), name="service_request_queues"),
    path("service-requests/queue/<str:role>/", views.ProcessingQueueView.as_view(), name="service_request_queue"),
    path("service-requests/<int:pk>/step/", views.ServiceRequestStepView.as_view(), name="service_request_step"),
    path("service-requests/<int:pk>/step/start/", views.StepStartView.as_view(), name="service_request_step_start"),
    path("service-requests/<int:pk>/step/save/", views.StepSaveView.as_view(), name="service_request_step_save"),
    path("service-requests/<int:pk>/step/attach/", views.StepAttachView.as_view(), name="service_request_step_attach"),
    path("service-requests/<int:pk>/step/complete/", views.StepCompleteView.as_view(), name="service_request_step_complete"),
    path("service-requests/<int:pk>/step/return/", views.StepReturnView.as_view(), name="service_request_step_return"),
    path("service-requests/<int:pk>/step/reject/", views.StepRejectView.as_view(), name="service_request_step_reject"),
    # Request types, for product managers (each change approved by another one).
    path("service-requests/types/", views.RequestTypeListView.as_view(), name="service_request_types"),
    path("service-requests/types/new/", views.RequestTypeCreateView.as_view(), name="service_request_type_create"),
    path("service-requests/types/<int:pk>/", views.RequestTypeEditView.as_view(), name="service_request_type_edit"),
    path(
        "service-requests/attachments/<int:pk>/",
        views.AttachmentView.as_view(),
        name="service_request_attachment",
    ),
]

links.register("service_request_step", "workbench:service_request_step")
