"""Routes of the knowledge base (under marketing/)."""

from django.urls import path

from marketing.knowledge import views

urlpatterns = [
    path("knowledge/", views.ArticleListView.as_view(), name="articles"),
    path("knowledge/new/", views.ArticleCreateView.as_view(), name="article_create"),
    path("knowledge/<int:pk>/", views.ArticleDetailView.as_view(), name="article"),
    path("knowledge/<int:pk>/edit/", views.ArticleEditView.as_view(), name="article_edit"),
    path("knowledge/<int:pk>/publish/", views.ArticlePublishView.as_view(), name="article_publish"),
    path("knowledge/<int:pk>/withdraw/", views.ArticleWithdrawView.as_view(), name="article_withdraw"),
    path("knowledge/<int:pk>/versions/<int:number>/restore/", views.ArticleRestoreView.as_view(), name="article_restore"),
    path("knowledge/<int:pk>/helpful/", views.ArticleHelpfulView.as_view(), name="article_helpful"),
    path("knowledge/<int:pk>/attachments/", views.AttachmentAddView.as_view(), name="article_attachment_add"),
    path(
        "knowledge/<int:pk>/attachments/<int:attachment_id>/",
        views.AttachmentDownloadView.as_view(),
        name="article_attachment",
    ),
    path(
        "knowledge/<int:pk>/attachments/<int:attachment_id>/remove/",
        views.AttachmentRemoveView.as_view(),
        name="article_attachment_remove",
    ),
]
