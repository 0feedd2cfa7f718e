"""Adding to a customer from the 360° page: notes, service contacts, documents, relationships
and tags. Thin views: the customer comes from Customer.objects.visible_to(user) (404
outside the scope, customers.views_detail.CustomerRouteMixin), the permission is the model's
add/delete permission, and the work is done by customers.services_360. Each add route shows
its form on a page of its own on GET (phones, and the form again with its errors)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from . import services_360, sharing
from .detail_sections import relations_of
from .forms_360 import DocumentUploadForm, NoteForm, RelationshipForm, ServiceContactForm, TagForm
from .models import Tag
from .views_detail import CustomerRouteMixin
from .views_edit import add_errors

TAG_SUGGESTIONS = 200
RELATIONS_SHOWN = 100


def back_to(customer, section):
    return f"{reverse('customers:detail', args=[customer.number])}#section-{section}"


class EditableCustomerMixin:
    """After CustomerRouteMixin found the customer: a read-only share lets its holder look, not change (403)."""

    def dispatch(self, request, *args, **kwargs):
        sharing.require_edit(request.user, self.customer)
        return super().dispatch(request, *args, **kwargs)


class AddToCustomerView(CustomerRouteMixin, EditableCustomerMixin, View):
    form_class = None
    title = ""
    section = ""
    success_message = ""
    multipart = False

    def get(self, request, number):
        return self.render_page(self.form_class())

    def post(self, request, number):
        form = self.form_class(request.POST, request.FILES) if self.multipart else self.form_class(request.POST)
        if form.is_valid():
            try:
                self.perform(form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, self.success_message)
                return redirect(back_to(self.customer, self.section))
        return self.render_page(form)

    def perform(self, data):
        raise NotImplementedError

    def page_context(self):
        return {}

    def render_page(self, form):
        return render(
            self.request,
            "customers/forms360/form_page.html",
            {
                "customer": self.customer,
                "form": form,
                "title": self.title,
                "multipart": self.multipart,
                "back_url": back_to(self.customer, self.section),
                "action": self.request.path,
                **self.page_context(),
            },
        )


class NoteAddView(AddToCustomerView):
    permission_required = ("customers.view_customer", "customers.add_customernote")
    form_class = NoteForm
    title = gettext_lazy("Add a note")
    section = "notes"
    success_message = gettext_lazy("Note added.")

    def perform(self, data):
        services_360.add_note(self.customer, data["text"], self.request.user)


class ContactLogView(AddToCustomerView):
    permission_required = ("customers.view_customer", "customers.add_servicecontact")
    form_class = ServiceContactForm
    title = gettext_lazy("Log a contact")
    section = "service_contacts"
    success_message = gettext_lazy("Contact logged.")

    def perform(self, data):
        services_360.log_service_contact(self.customer, data, self.request.user)


class DocumentUploadView(AddToCustomerView):
    permission_required = ("customers.view_customer", "customers.add_customerdocument")
    form_class = DocumentUploadForm
    title = gettext_lazy("Upload a document")
    section = "documents"
    success_message = gettext_lazy("Document uploaded.")
    multipart = True

    def perform(self, data):
        services_360.upload_document(self.customer, data["file"], data["doc_type"], data["description"], self.request.user)

    def page_context(self):
        limit = services_360.max_document_bytes(self.customer.bank_id)
        return {"max_bytes": limit}


class RelationshipAddView(AddToCustomerView):
    permission_required = ("customers.view_customer", "customers.add_relationship")
    form_class = RelationshipForm
    title = gettext_lazy("Relationships")
    section = "relationships"
    success_message = gettext_lazy("Relationship added.")

    def perform(self, data):
        services_360.add_relationship(
            self.customer, data["other_number"], data["kind"], data.get("share_percent"), data.get("note"), self.request.user
        )

    def page_context(self):
        customer, user = self.customer, self.request.user
        relations = relations_of(customer, user, RELATIONS_SHOWN)
        return {"relations": relations, "may_remove": user.has_perm("customers.delete_relationship")}


class TagAddView(AddToCustomerView):
    permission_required = ("customers.view_customer", "customers.add_customertag")
    form_class = TagForm
    title = gettext_lazy("Tags")
    section = "header"
    success_message = gettext_lazy("Tag added.")

    def perform(self, data):
        services_360.add_tag(self.customer, data["name"], self.request.user)

    def page_context(self):
        customer = self.customer
        return {
            "customer_tags": list(customer.tags.order_by("name")),
            "tag_suggestions": list(
                Tag.objects.filter(bank_id=customer.bank_id).order_by("name").values_list("name", flat=True)[:TAG_SUGGESTIONS]
            ),
            "may_remove": self.request.user.has_perm("customers.delete_customertag"),
        }


class RemoveFromCustomerView(CustomerRouteMixin, EditableCustomerMixin, View):
    """POST only: remove one row, back to where the person came from (the 360 page by default)."""

    section = ""
    success_message = ""
    manage_url = ""

    def post(self, request, number, pk):
        self.perform(pk)
        messages.success(request, self.success_message)
        if request.POST.get("next") == "manage":
            return redirect(reverse(self.manage_url, args=[self.customer.number]))
        return redirect(back_to(self.customer, self.section))


class RelationshipRemoveView(RemoveFromCustomerView):
    permission_required = ("customers.view_customer", "customers.delete_relationship")
    section = "relationships"
    success_message = gettext_lazy("Relationship removed.")
    manage_url = "customers:relationship_add"

    def perform(self, pk):
        services_360.remove_relationship(self.customer, pk, self.request.user)


class TagRemoveView(RemoveFromCustomerView):
    permission_required = ("customers.view_customer", "customers.delete_customertag")
    section = "header"
    success_message = gettext_lazy("Tag removed.")
    manage_url = "customers:tag_add"

    def perform(self, pk):
        tag = services_360.remove_tag(self.customer, pk, self.request.user)
        self.success_message = _("Tag %(name)s removed.") % {"name": tag.name}
