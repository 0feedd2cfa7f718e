"""The appraisal pages (under reports/appraisal/)."""

from django.urls import path

from reports.appraisal import views

urlpatterns = [
    path("appraisal/schemes/", views.SchemeListView.as_view(), name="kpi_schemes"),
    path("appraisal/schemes/new/", views.SchemeEditView.as_view(), name="kpi_scheme_new"),
    path("appraisal/schemes/<int:pk>/", views.SchemeDetailView.as_view(), name="kpi_scheme"),
    path("appraisal/schemes/<int:pk>/edit/", views.SchemeEditView.as_view(), name="kpi_scheme_edit"),
    path("appraisal/schemes/<int:pk>/submit/", views.SchemeSubmitView.as_view(), name="kpi_scheme_submit"),
    path("appraisal/schemes/<int:pk>/new-version/", views.SchemeVersionView.as_view(), name="kpi_scheme_version"),
    path("appraisal/schemes/<int:pk>/targets/", views.ManagerTargetAddView.as_view(), name="kpi_target_add"),
    path("appraisal/my/", views.MyScorecardView.as_view(), name="kpi_my_scorecard"),
    path("appraisal/team/", views.TeamScoresView.as_view(), name="kpi_team"),
    path("appraisal/scores/<int:pk>/", views.ScoreDetailView.as_view(), name="kpi_score"),
    path("appraisal/scores/<int:pk>/adjust/", views.AdjustView.as_view(), name="kpi_score_adjust"),
    path("appraisal/scores/<int:pk>/lines/<int:line>/", views.LineSourceView.as_view(), name="kpi_line_source"),
]
