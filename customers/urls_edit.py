"""URL patterns of this area (included by customers/urls.py): create/edit, contacts, change requests."""

from django.urls import path

from . import views_edit

urlpatterns: list = [
    path("new/", views_edit.CustomerCreateView.as_view(), name="create"),
    path("change-requests/", views_edit.ChangeRequestListView.as_view(), name="change_requests"),
    path("change-requests/<int:pk>/approve/", views_edit.ChangeRequestApproveView.as_view(), name="change_request_approve"),
    path("change-requests/<int:pk>/reject/", views_edit.ChangeRequestRejectView.as_view(), name="change_request_reject"),
    path("<str:number>/edit/", views_edit.CustomerEditView.as_view(), name="edit"),
    path("<str:number>/contacts/", views_edit.ContactsView.as_view(), name="contacts"),
]
