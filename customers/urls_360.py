"""URL patterns of what is added to a customer from the 360° page (included by customers/urls.py
before urls_detail, so that these fixed words are matched before the detail routes)."""

from django.urls import path

from . import views_360

urlpatterns: list = [
    path("<str:number>/notes/add/", views_360.NoteAddView.as_view(), name="note_add"),
    path("<str:number>/service-contacts/add/", views_360.ContactLogView.as_view(), name="contact_log"),
    path("<str:number>/documents/upload/", views_360.DocumentUploadView.as_view(), name="document_upload"),
    path("<str:number>/relationships/", views_360.RelationshipAddView.as_view(), name="relationship_add"),
    path("<str:number>/relationships/<int:pk>/remove/", views_360.RelationshipRemoveView.as_view(), name="relationship_remove"),
    path("<str:number>/tags/", views_360.TagAddView.as_view(), name="tag_add"),
    path("<str:number>/tags/<int:pk>/remove/", views_360.TagRemoveView.as_view(), name="tag_remove"),
]
