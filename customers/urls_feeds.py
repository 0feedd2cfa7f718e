"""URL patterns of the source-system feeds (included by customers/urls.py, before the
"<str:number>/..." customer routes)."""

from django.urls import path

from . import views_feeds

urlpatterns: list = [
    path("feeds/", views_feeds.FeedLoadListView.as_view(), name="feed_list"),
    path("feeds/upload/", views_feeds.FeedUploadView.as_view(), name="feed_upload"),
    path("feeds/<int:pk>/", views_feeds.feed_detail, name="feed_detail"),
    path("feeds/<int:pk>/progress/", views_feeds.feed_progress, name="feed_progress"),
    path("feeds/<int:pk>/errors.xlsx", views_feeds.feed_errors_xlsx, name="feed_errors_xlsx"),
    path("feeds/<int:pk>/errors.csv", views_feeds.feed_errors_csv, name="feed_errors_csv"),
]
