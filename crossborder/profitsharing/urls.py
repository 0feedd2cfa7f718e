"""The profit-sharing pages."""

from django.urls import path

from crossborder.profitsharing import views

urlpatterns = [
    path("profit-statements/", views.StatementListView.as_view(), name="profit_statements"),
    path("profit-statements/<int:pk>/", views.StatementDetailView.as_view(), name="profit_statement"),
    path("profit-statements/<int:pk>/approve/", views.RequestApprovalView.as_view(), name="profit_statement_approve"),
    path("profit-rules/", views.RuleListView.as_view(), name="profit_rules"),
    path("profit-rules/new/", views.RuleFormView.as_view(), name="profit_rule_create"),
    path("profit-rules/<int:pk>/", views.RuleDetailView.as_view(), name="profit_rule"),
    path("profit-rules/<int:pk>/edit/", views.RuleFormView.as_view(), name="profit_rule_edit"),
    path("profit-rules/<int:pk>/submit/", views.RuleSubmitView.as_view(), name="profit_rule_submit"),
    path("revenue-feed/", views.FeedUploadListView.as_view(), name="revenue_feed_uploads"),
    path("revenue-feed/upload/", views.FeedUploadView.as_view(), name="revenue_feed_upload"),
    path("revenue-feed/<int:pk>/", views.FeedUploadDetailView.as_view(), name="revenue_feed_upload_detail"),
]
