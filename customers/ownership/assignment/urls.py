"""Routes of assignment: the branch pool, claims, reassignment, hand-over, transfer, rules."""

from django.urls import path

from customers.ownership.assignment import views
from ocrm import links

urlpatterns = [
    path("assignment/pool/", views.PoolListView.as_view(), name="pool"),
    path("assignment/claim/<str:number>/", views.ClaimView.as_view(), name="claim"),
    path("assignment/my-requests/", views.MyRequestsView.as_view(), name="my_assignment_requests"),
    path("assignment/my-requests/<int:pk>/withdraw/", views.WithdrawView.as_view(), name="assignment_withdraw"),
    path("assignment/requests/", views.DecideListView.as_view(), name="assignment_requests"),
    path("assignment/requests/<int:pk>/approve/", views.ApproveView.as_view(), name="assignment_approve"),
    path("assignment/requests/<int:pk>/reject/", views.RejectView.as_view(), name="assignment_reject"),
    path("assignment/reassign/", views.ReassignView.as_view(), name="reassign"),
    path("assignment/handover/", views.HandoverView.as_view(), name="handover"),
    path("assignment/transfer/<str:number>/", views.TransferView.as_view(), name="transfer"),
    path("assignment/rules/", views.AttributionRuleView.as_view(), name="attribution_rule"),
]

# The pages services link to from notifications (ocrm.links).
links.register("my_assignment_requests", "customers:my_assignment_requests")
