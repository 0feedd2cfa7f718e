"""Routes of the source-system feeds."""

from django.urls import path

from customers.ecif.feeds import views

urlpatterns = [
    path("feeds/", views.FeedLoadListView.as_view(), name="feed_list"),
    path("feeds/upload/", views.FeedUploadView.as_view(), name="feed_upload"),
    path("feeds/<int:pk>/", views.FeedDetailView.as_view(), name="feed_detail"),
    path("feeds/<int:pk>/progress/", views.FeedProgressView.as_view(), name="feed_progress"),
    path("feeds/<int:pk>/errors.xlsx", views.FeedErrorsView.as_view(), name="feed_errors_xlsx"),
    path("feeds/<int:pk>/errors.csv", views.FeedErrorsCsvView.as_view(), name="feed_errors_csv"),
]
