"""The channel API's own routes (gathered by workbench/api.py under /api/v1/)."""

from django.urls import path

from workbench.channelapi import contacts, lookup, progress, summary, transactions, views

urlpatterns = [
    path("channel/whoami", views.WhoAmIView.as_view(), name="channel-whoami"),
    path("channel/customers/lookup", lookup.CustomerLookupView.as_view(), name="channel-customer-lookup"),
    path("channel/customers/<str:number>/summary", summary.CustomerSummaryView.as_view(), name="channel-customer-summary"),
    path("channel/echo", views.EchoView.as_view(), name="channel-echo"),
    path("channel/customers/<str:number>/contacts", contacts.ServiceContactView.as_view(), name="channel-service-contact"),
    path(
        "channel/customers/<str:number>/transactions",
        transactions.NonFinancialTransactionView.as_view(),
        name="channel-transaction",
    ),
    path(
        "channel/customers/<str:number>/service-requests/<str:reference>/progress",
        progress.RequestProgressView.as_view(),
        name="channel-request-progress",
    ),
]
