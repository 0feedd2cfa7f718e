"""Routes of the jobs pages (included from ocrm/urls.py at "ocrm/batch/jobs/")."""

from django.urls import path

from ocrm import links
from ocrm.batch import views

app_name = "jobs"

urlpatterns = [
    path("", views.JobRunListView.as_view(), name="list"),
    path("start/", views.job_start, name="start"),
    path("schedules/", views.job_schedules, name="schedules"),
    path("<int:pk>/", views.job_detail, name="detail"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
]

links.register("job_run", "jobs:detail")
