"""Routes of matching: the merge review queue, merge history and unmerge."""

from django.urls import path

from customers.ecif.matching import views

urlpatterns = [
    path("match-reviews/", views.MatchReviewListView.as_view(), name="match_review_list"),
    path("match-reviews/<int:pk>/", views.MatchReviewView.as_view(), name="match_review"),
    path("merges/", views.MergeHistoryView.as_view(), name="merge_history"),
    path("merges/<int:pk>/", views.MergeDetailView.as_view(), name="merge_detail"),
    path("merges/<int:pk>/unmerge/", views.UnmergeView.as_view(), name="unmerge"),
]
