from django.urls import path

from crossborder.requests import views

urlpatterns = [
    path("requests/", views.RequestListView.as_view(), name="requests"),
    path("statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("requests/new/", views.RequestCreateView.as_view(), name="request_create"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="request"),
    path("requests/<int:pk>/attachments/", views.AttachmentUploadView.as_view(), name="request_attachment_add"),
    path(
        "requests/<int:pk>/attachments/<int:attachment_id>/",
        views.AttachmentDownloadView.as_view(),
        name="request_attachment",
    ),
    path("requests/<int:pk>/<slug:action>/", views.RequestActionView.as_view(), name="request_action"),
]
