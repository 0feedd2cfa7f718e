"""The approvals inbox and the maker's "My requests"."""

from django.urls import path

from workbench.inbox import views

urlpatterns = [
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("inbox/approve/", views.BulkApproveView.as_view(), name="approve"),
    path("inbox/<int:pk>/", views.RequestDetailView.as_view(), name="request_detail"),
    path("inbox/<int:pk>/reject/", views.RejectView.as_view(), name="reject"),
    path("my-requests/", views.MyRequestsView.as_view(), name="my_requests"),
    path("my-requests/<int:pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
]
