"""Pages of the channel API for the bank's administrators (under workbench/)."""

from django.urls import path

from workbench.channelapi import views_admin

urlpatterns = [
    path("channels/dead-letters/", views_admin.DeadLettersView.as_view(), name="channel_dead_letters"),
]
