"""Pages of the channel API for the bank's administrators (under workbench/)."""

from django.urls import path

from workbench.channelapi import views_admin

urlpatterns = [
    path("channels/", views_admin.ClientsView.as_view(), name="channel_clients"),
    path("channels/<int:pk>/rotate/", views_admin.RotateView.as_view(), name="channel_client_rotate"),
    path("channels/<int:pk>/revoke/", views_admin.RevokeView.as_view(), name="channel_client_revoke"),
    path("channels/dead-letters/", views_admin.DeadLettersView.as_view(), name="channel_dead_letters"),
]
