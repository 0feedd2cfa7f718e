"""Routes of the notification list (included from ocrm/urls.py at "notifications/"; names without a namespace)."""

from django.urls import path

from ocrm.notifications import views

urlpatterns = [
    path("", views.notification_list, name="notifications"),
    path("<int:pk>/read/", views.notification_read, name="notification_read"),
    path("read-all/", views.notification_read_all, name="notifications_read_all"),
    path("preferences/", views.notification_preferences, name="notification_preferences"),
]
