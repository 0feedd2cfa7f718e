"""Staff messaging (即时通信) under /workbench/messages/."""

from django.urls import path

from ocrm import links
from workbench.messaging import views

urlpatterns = [
    path("messages/", views.ConversationListView.as_view(), name="messaging_list"),
    path("messages/poll/", views.PollView.as_view(), name="messaging_poll"),
    path("messages/new/", views.StartView.as_view(), name="messaging_start"),
    path("messages/<int:pk>/", views.ConversationView.as_view(), name="messaging_conversation"),
    path("messages/<int:pk>/earlier/", views.EarlierView.as_view(), name="messaging_earlier"),
    path("messages/<int:pk>/since/", views.NewMessagesView.as_view(), name="messaging_since"),
    path("messages/<int:pk>/read/", views.ReadView.as_view(), name="messaging_read"),
    path("messages/<int:pk>/send/", views.SendView.as_view(), name="messaging_send"),
    path("messages/<int:pk>/hide/", views.HideView.as_view(), name="messaging_hide"),
    path("messages/<int:pk>/customer/", views.LinkCustomerView.as_view(), name="messaging_link_customer"),
    path("messages/file/<int:pk>/", views.AttachmentView.as_view(), name="messaging_attachment"),
    path("messages/audit/", views.AuditSearchView.as_view(), name="messaging_audit"),
    path("messages/audit/<int:pk>/", views.AuditConversationView.as_view(), name="messaging_audit_conversation"),
    path("messages/audit/<int:pk>/export/", views.AuditExportView.as_view(), name="messaging_audit_export"),
    path("messages/audit/file/<int:pk>/", views.AuditAttachmentView.as_view(), name="messaging_audit_attachment"),
]

links.register("conversation", "workbench:messaging_conversation")
