"""URL patterns of customer sharing (included by customers/urls.py before urls_detail, so that
the fixed words are matched before the "<str:number>/" customer routes)."""

from django.urls import path

from . import views_sharing

urlpatterns: list = [
    path("sharing/with-me/", views_sharing.SharedWithMeView.as_view(), name="shared_with_me"),
    path("sharing/by-me/", views_sharing.SharedByMeView.as_view(), name="shared_by_me"),
    path("sharing/colleagues/", views_sharing.ColleagueSuggestView.as_view(), name="share_colleagues"),
    path("sharing/<int:pk>/revoke/", views_sharing.ShareRevokeView.as_view(), name="share_revoke"),
    path("<str:number>/share/", views_sharing.ShareCreateView.as_view(), name="share"),
]
