"""Routes of campaigns (under marketing/)."""

from django.urls import path

from marketing.campaigns import views
from ocrm import links

urlpatterns = [
    path("campaigns/", views.CampaignListView.as_view(), name="campaigns"),
    path("campaigns/new/", views.CampaignCreateView.as_view(), name="campaign_create"),
    path("campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="campaign"),
    path("campaigns/<int:pk>/dry-run/", views.DryRunView.as_view(), name="campaign_dry_run"),
    path("campaigns/<int:pk>/submit/", views.SubmitView.as_view(), name="campaign_submit"),
    path("campaigns/<int:pk>/upload/", views.UploadView.as_view(), name="campaign_upload"),
    path("campaigns/<int:pk>/excluded/", views.ExcludedListView.as_view(), name="campaign_excluded"),
    path("campaigns/<int:pk>/evaluation/", views.EvaluationView.as_view(), name="campaign_evaluation"),
    path("campaigns/responses/<int:pk>/", views.RespondView.as_view(), name="campaign_respond"),
    path("campaigns/tasks/<int:pk>/response/", views.TaskResponseView.as_view(), name="campaign_task_response"),
]

links.register("campaigns", "marketing:campaigns")
links.register("campaign", "marketing:campaign")
links.register("campaign_evaluation", "marketing:campaign_evaluation")
