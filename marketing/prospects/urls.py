"""The prospect pages (list, capture, detail, link, convert, drop)."""

from django.urls import path

from marketing.prospects import views

urlpatterns = [
    path("prospects/", views.ProspectListView.as_view(), name="prospects"),
    path("prospects/new/", views.ProspectCreateView.as_view(), name="prospect_create"),
    path("prospects/upload/", views.ProspectUploadView.as_view(), name="prospect_upload"),
    path("prospects/<int:pk>/", views.ProspectDetailView.as_view(), name="prospect_detail"),
    path("prospects/<int:pk>/link/", views.ProspectLinkView.as_view(), name="prospect_link"),
    path("prospects/<int:pk>/convert/", views.ProspectConvertView.as_view(), name="prospect_convert"),
    path("prospects/<int:pk>/drop/", views.ProspectDropView.as_view(), name="prospect_drop"),
]
