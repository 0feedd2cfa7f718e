"""The work report pages."""

from django.urls import path

from ocrm import links
from workbench.workreports import views

urlpatterns = [
    path("reports/", views.WorkReportListView.as_view(), name="workreports"),
    path("reports/open/", views.OpenReportView.as_view(), name="workreport_open"),
    path("reports/missing/", views.NotSubmittedView.as_view(), name="workreports_missing"),
    path("reports/<int:pk>/", views.WorkReportDetailView.as_view(), name="workreport_detail"),
    path("reports/<int:pk>/edit/", views.WorkReportEditView.as_view(), name="workreport_edit"),
    path("reports/<int:pk>/comment/", views.CommentView.as_view(), name="workreport_comment"),
]

links.register("work_report", "workbench:workreport_detail")
