"""Pages of the channel API for the bank's administrators (under workbench/)."""

from django.urls import path

from workbench.channelapi import views

urlpatterns = [
    path("channels/", views.ClientsView.as_view(), name="channel_clients"),
    path("channels/<int:pk>/rotate/", views.RotateView.as_view(), name="channel_client_rotate"),
    path("channels/<int:pk>/revoke/", views.RevokeView.as_view(), name="channel_client_revoke"),
    path("channels/dead-letters/", views.DeadLettersView.as_view(), name="channel_dead_letters"),
]
