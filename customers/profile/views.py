"""The customer 360° page, its transactions partial, document viewing, the audited reveal of
clear identity numbers and phones, and what is added to or removed from a customer there.
Every route finds the customer through customers.master.views.CustomerRouteMixin (outside
the scope it is a 404); every change is one call into customers.profile.services."""

from django.http import FileResponse, Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from customers.master.models import Tag
from customers.master.views import CustomerRouteMixin
from customers.ownership.sharing import services as sharing
from customers.profile import sections
from customers.profile import services as services_360
from customers.profile.forms import DocumentUploadForm, NoteForm, RelationshipForm, ServiceContactForm, TagForm
from customers.profile.sections import relations_of, transactions_page
from ocrm.pages import ServiceActionView, ServiceFormView, is_htmx

# Sections that take the full width on large screens; on a phone every section stacks.
WIDE_SECTIONS = {"header", "holdings", "transactions"}


# Shown inline in the browser; anything else is downloaded (never rendered as HTML from our origin).
INLINE_CONTENT_TYPES = {"image/png", "image/jpeg", "image/gif", "application/pdf"}


# What the 360 page shows of the customer beyond its row, read with it. Not the retail or corporate
# profile: its section reads the one of the customer's kind (a query of ~0.2 ms), where two more joins
# took PostgreSQL longer to plan than the whole query took to run (1M customers, a manager's scope:
# 3.9 ms of planning with six joins, 1.2 ms with four; 0.3 ms to run).
PROFILE_RELATED = ("bank", "branch", "primary_manager", "household")


class CustomerDetailView(CustomerRouteMixin, View):
    permission_required = "customers.view_customer"
    customer_related = PROFILE_RELATED

    def get(self, request, number):
        customer, user = self.customer, request.user
        # may_edit is decided once for the page (a read-only share sees no edit control).
        base = section_base(request, customer)
        # Sections render without the request: context processors (navigation, notifications)
        # run once for the page, not once per section.
        rendered = []
        for section, context in sections.sections_for(customer, user, defer=True):
            html = get_template(section.template).render({**base, **context, "section": section})
            rendered.append((section, html, section.key in WIDE_SECTIONS))
        return render(request, "customers/detail.html", {**base, "sections": rendered})


def section_base(request, customer):
    """What every section's template reads besides its own context (the page's and a deferred section's)."""
    user = request.user
    return {
        "customer": customer,
        "user": user,
        "csrf_token": get_token(request),
        "may_unmask": user.has_perm("customers.unmask_pii"),
        "may_edit": sharing.may_edit(user, customer),
    }


class CustomerSectionView(CustomerRouteMixin, View):
    """One deferred section of the 360 page (sections.Section.deferred), which htmx puts in place of
    its placeholder: the same template and context as if the page had drawn it. A section the user
    may not see on this customer (its permission, the customer's kind) is a 404, as is a customer
    outside the scope."""

    permission_required = "customers.view_customer"
    customer_related = PROFILE_RELATED

    def get(self, request, number, key):
        found = sections.deferred_section(key, self.customer, request.user)
        if found is None:
            raise Http404
        section, context = found
        html = get_template(section.template).render({**section_base(request, self.customer), **context, "section": section})
        return HttpResponse(html)


class CustomerTransactionsView(CustomerRouteMixin, View):
    """One page of transactions with channel and date filters: an htmx partial, or a page of its own."""

    permission_required = ("customers.view_customer", "customers.view_transaction")
    customer_related = PROFILE_RELATED

    def redirect_to_survivor(self, survivor):
        url = reverse("customers:transactions", args=[survivor.number])
        query = self.request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)

    def get(self, request, number):
        context = {"customer": self.customer, **transactions_page(self.customer, request.GET)}
        template = "customers/transactions.html" if is_htmx(request) else "customers/transactions_page.html"
        return render(request, template, context)


class CustomerDocumentView(CustomerRouteMixin, View):
    """Streams one of the customer's documents; every view is audited (by the service)."""

    permission_required = ("customers.view_customer", "customers.view_customerdocument")
    customer_related = PROFILE_RELATED

    def get(self, request, number, pk):
        document, handle = services_360.open_document(self.customer, pk, request.user)
        inline = document.content_type in INLINE_CONTENT_TYPES and request.GET.get("download") != "1"
        return FileResponse(
            handle,
            as_attachment=not inline,
            filename=document.original_name,
            content_type=document.content_type if inline else "application/octet-stream",
        )


class CustomerRevealView(CustomerRouteMixin, View):
    """POST: one customer's personal data in clear, for users who may unmask; audited and counted by the service."""

    permission_required = ("customers.view_customer", "customers.unmask_pii")
    customer_related = PROFILE_RELATED

    def post(self, request, number):
        context = {
            "customer": self.customer,
            "revealed": services_360.reveal_pii(self.customer, request.user),
            "detail_url": reverse("customers:detail", args=[self.customer.number]),
        }
        template = "customers/sections/revealed.html" if is_htmx(request) else "customers/sections/revealed_page.html"
        return render(request, template, context)


TAG_SUGGESTIONS = 200


RELATIONS_SHOWN = 100


def back_to(customer, section):
    return f"{reverse('customers:detail', args=[customer.number])}#section-{section}"


class AddToCustomerView(CustomerRouteMixin, ServiceFormView):
    """The form page of one thing added to a customer; back to its section of the 360 page."""

    edits_customer = True
    customer_related = PROFILE_RELATED
    template_name = "customers/forms360/form_page.html"
    section = ""
    multipart = False

    def get_success_url(self, result):
        return back_to(self.customer, self.section)

    def page_context(self):
        return {}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            customer=self.customer,
            multipart=self.multipart,
            back_url=back_to(self.customer, self.section),
            action=self.request.path,
            **self.page_context(),
            **kwargs,
        )


class NoteAddView(AddToCustomerView):
    permission_required = ("customers.view_customer", "customers.add_customernote")
    form_class = NoteForm
    title = gettext_lazy("Add a note")
    section = "notes"
    success_message = gettext_lazy("Note added.")

    def perform(self, form):
        return services_360.add_note(self.customer, form.cleaned_data["text"], self.request.user)


class ContactLogView(AddToCustomerView):
    permission_required = ("customers.view_customer", "customers.add_servicecontact")
    form_class = ServiceContactForm
    title = gettext_lazy("Log a contact")
    section = "service_contacts"
    success_message = gettext_lazy("Contact logged.")

    def perform(self, form):
        return services_360.log_service_contact(self.customer, form.cleaned_data, self.request.user)


class DocumentUploadView(AddToCustomerView):
    permission_required = ("customers.view_customer", "customers.add_customerdocument")
    form_class = DocumentUploadForm
    title = gettext_lazy("Upload a document")
    section = "documents"
    success_message = gettext_lazy("Document uploaded.")
    multipart = True

    def perform(self, form):
        data = form.cleaned_data
        return services_360.upload_document(self.customer, data["file"], data["doc_type"], data["description"], self.request.user)

    def page_context(self):
        limit = services_360.max_document_bytes(self.customer.bank_id)
        return {"max_bytes": limit}


class RelationshipAddView(AddToCustomerView):
    permission_required = ("customers.view_customer", "customers.add_relationship")
    form_class = RelationshipForm
    title = gettext_lazy("Relationships")
    section = "relationships"
    success_message = gettext_lazy("Relationship added.")

    def perform(self, form):
        data = form.cleaned_data
        return services_360.add_relationship(
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

    def perform(self, form):
        return services_360.add_tag(self.customer, form.cleaned_data["name"], self.request.user)

    def page_context(self):
        customer = self.customer
        return {
            "customer_tags": list(customer.tags.order_by("name")),
            "tag_suggestions": list(
                Tag.objects.filter(bank_id=customer.bank_id).order_by("name").values_list("name", flat=True)[:TAG_SUGGESTIONS]
            ),
            "may_remove": self.request.user.has_perm("customers.delete_customertag"),
        }


class RemoveFromCustomerView(CustomerRouteMixin, ServiceActionView):
    """POST only: remove one row, back to where the person came from (the 360 page by default)."""

    edits_customer = True
    customer_related = PROFILE_RELATED
    section = ""
    manage_url = ""

    def get_success_url(self, result):
        if self.request.POST.get("next") == "manage":
            return reverse(self.manage_url, args=[self.customer.number])
        return back_to(self.customer, self.section)


class RelationshipRemoveView(RemoveFromCustomerView):
    permission_required = ("customers.view_customer", "customers.delete_relationship")
    section = "relationships"
    success_message = gettext_lazy("Relationship removed.")
    manage_url = "customers:relationship_add"

    def perform(self):
        return services_360.remove_relationship(self.customer, self.kwargs["pk"], self.request.user)


class TagRemoveView(RemoveFromCustomerView):
    permission_required = ("customers.view_customer", "customers.delete_customertag")
    section = "header"
    manage_url = "customers:tag_add"

    def perform(self):
        return services_360.remove_tag(self.customer, self.kwargs["pk"], self.request.user)

    def get_success_message(self, tag):
        return _("Tag %(name)s removed.") % {"name": tag.name}
