"""The channel API's own routes (gathered by workbench/api.py under /api/v1/)."""

from django.urls import path

from workbench.channelapi import views

urlpatterns = [
    path("channel/whoami", views.WhoAmIView.as_view(), name="channel-whoami"),
    path("channel/echo", views.EchoView.as_view(), name="channel-echo"),
]
