"""Routes of the customer master: search and list, the teller's look-up, bulk actions,
create/edit with maker-checker, contacts and change requests."""

from django.urls import path

from customers.master import views
from ocrm import links

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="list"),
    path("lookup/", views.LookupView.as_view(), name="lookup"),
    path("bulk-tag/", views.BulkTagView.as_view(), name="bulk_tag"),
    path("new/", views.CustomerCreateView.as_view(), name="create"),
    path("change-requests/", views.ChangeRequestListView.as_view(), name="change_requests"),
    path("change-requests/<int:pk>/approve/", views.ChangeRequestApproveView.as_view(), name="change_request_approve"),
    path("change-requests/<int:pk>/reject/", views.ChangeRequestRejectView.as_view(), name="change_request_reject"),
]

# The pages services link to from notifications (ocrm.links).
links.register("customer_list", "customers:list")

# Below one customer's number ("<str:number>/...", see customers/urls.py).
customer_urlpatterns = [
    path("edit/", views.CustomerEditView.as_view(), name="edit"),
    path("contacts/", views.ContactsView.as_view(), name="contacts"),
]
