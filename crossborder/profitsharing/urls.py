"""The profit-sharing pages."""

from django.urls import path

from crossborder.profitsharing import views

urlpatterns = [
    path("profit-statements/", views.StatementListView.as_view(), name="profit_statements"),
    path("profit-statements/<int:pk>/", views.StatementDetailView.as_view(), name="profit_statement"),
    path("profit-statements/<int:pk>/approve/", views.RequestApprovalView.as_view(), name="profit_statement_approve"),
]
