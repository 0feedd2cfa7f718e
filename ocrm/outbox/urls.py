"""Routes of the outbox (included from ocrm/urls.py at "outbox/", namespace "outbox")."""

from django.urls import path

from ocrm.outbox import callbacks

app_name = "outbox"

urlpatterns = [
    path("callbacks/<int:gateway_id>/reports/", callbacks.delivery_report, name="callback_report"),
    path("callbacks/<int:gateway_id>/inbound/", callbacks.inbound, name="callback_inbound"),
]
