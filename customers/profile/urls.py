"""Routes of the 360° page and of what is added to a customer from it. All of them sit below
one customer's number ("<str:number>/...", see customers/urls.py)."""

from django.urls import path

from customers.profile import views
from ocrm import links

customer_urlpatterns = [
    path("", views.CustomerDetailView.as_view(), name="detail"),
    path("transactions/", views.CustomerTransactionsView.as_view(), name="transactions"),
    path("section/<slug:key>/", views.CustomerSectionView.as_view(), name="section"),
    path("documents/<int:pk>/", views.CustomerDocumentView.as_view(), name="document"),
    path("reveal/", views.CustomerRevealView.as_view(), name="reveal"),
    path("notes/add/", views.NoteAddView.as_view(), name="note_add"),
    path("service-contacts/add/", views.ContactLogView.as_view(), name="contact_log"),
    path("documents/upload/", views.DocumentUploadView.as_view(), name="document_upload"),
    path("relationships/", views.RelationshipAddView.as_view(), name="relationship_add"),
    path("relationships/<int:pk>/remove/", views.RelationshipRemoveView.as_view(), name="relationship_remove"),
    path("tags/", views.TagAddView.as_view(), name="tag_add"),
    path("tags/<int:pk>/remove/", views.TagRemoveView.as_view(), name="tag_remove"),
]

# The 360 page, as services link to it from notifications (ocrm.links).
links.register("customer", "customers:detail")
