"""URL patterns of the matching area (included by customers/urls.py before urls_detail)."""

from django.urls import path

from . import views_matching

urlpatterns: list = [
    path("match-reviews/", views_matching.MatchReviewListView.as_view(), name="match_review_list"),
    path("match-reviews/<int:pk>/", views_matching.MatchReviewView.as_view(), name="match_review"),
    path("merges/", views_matching.MergeHistoryView.as_view(), name="merge_history"),
    path("merges/<int:pk>/", views_matching.MergeDetailView.as_view(), name="merge_detail"),
    path("merges/<int:pk>/unmerge/", views_matching.UnmergeView.as_view(), name="unmerge"),
]
