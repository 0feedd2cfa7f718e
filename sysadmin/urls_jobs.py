"""URL patterns of this area (included by sysadmin/urls.py)."""

from django.urls import path

from . import jobs_views

urlpatterns: list = [
    path("jobs/", jobs_views.JobRunListView.as_view(), name="job_list"),
    path("jobs/start/", jobs_views.job_start, name="job_start"),
    path("jobs/<int:pk>/", jobs_views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/progress/", jobs_views.job_progress, name="job_progress"),
]
