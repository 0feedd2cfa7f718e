"""Routes of the outbox (included from ocrm/urls.py at "outbox/", namespace "outbox")."""

from django.urls import path

from ocrm.outbox import callbacks, views

app_name = "outbox"

urlpatterns = [
    path("", views.MessageListView.as_view(), name="messages"),
    path("messages/<int:pk>/", views.MessageDetailView.as_view(), name="message_detail"),
    path("messages/<int:pk>/resend/", views.MessageResendView.as_view(), name="message_resend"),
    path("statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("templates/", views.TemplateListView.as_view(), name="templates"),
    path("templates/new/", views.TemplateCreateView.as_view(), name="template_create"),
    path("templates/<int:pk>/", views.TemplateEditView.as_view(), name="template_edit"),
    path("templates/<int:pk>/preview/", views.TemplatePreviewView.as_view(), name="template_preview"),
    path("callbacks/<int:gateway_id>/reports/", callbacks.delivery_report, name="callback_report"),
    path("callbacks/<int:gateway_id>/inbound/", callbacks.inbound, name="callback_inbound"),
]
