"""The calendar pages and the personal iCalendar feed."""

from django.urls import path

from ocrm import links
from workbench.calendar import views

urlpatterns = [
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("calendar/staff/<int:staff_id>/", views.CalendarView.as_view(), name="staff_calendar"),
    path("calendar/appointments/new/", views.AppointmentCreateView.as_view(), name="appointment_create"),
    path("calendar/appointments/<int:pk>/", views.AppointmentView.as_view(), name="appointment"),
    path("calendar/appointments/<int:pk>/move/", views.AppointmentMoveView.as_view(), name="appointment_move"),
    path("calendar/appointments/<int:pk>/cancel/", views.AppointmentCancelView.as_view(), name="appointment_cancel"),
    path("calendar/feed/", views.FeedView.as_view(), name="calendar_feed_settings"),
    path("calendar/feed/<str:token>.ics", views.FeedDownloadView.as_view(), name="calendar_feed"),
]

links.register("calendar", "workbench:calendar")
links.register("appointment", "workbench:appointment")
