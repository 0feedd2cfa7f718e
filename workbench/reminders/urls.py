"""Routes of reminders."""

from django.urls import path

from ocrm import links
from workbench.reminders import views

urlpatterns = [
    path("reminders/", views.ReminderListView.as_view(), name="reminders"),
    path("reminders/<int:pk>/", views.ReminderDetailView.as_view(), name="reminder"),
    path("reminders/<int:pk>/snooze/", views.SnoozeView.as_view(), name="reminder_snooze"),
    path("reminders/<int:pk>/dismiss/", views.DismissView.as_view(), name="reminder_dismiss"),
    path("reminders/<int:pk>/task/", views.TurnIntoTaskView.as_view(), name="reminder_task"),
]

# The pages services link to from notifications and the today list (ocrm.links).
links.register("reminders", "workbench:reminders")
links.register("reminder", "workbench:reminder")
links.register("reminder_task", "workbench:reminder_task")
links.register("reminder_dismiss", "workbench:reminder_dismiss")
