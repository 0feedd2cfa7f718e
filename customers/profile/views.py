"""The customer 360° page, its transactions partial, document viewing and the audited reveal
of clear identity numbers and phones. Every route finds the customer through
Customer.objects.visible_to(user): outside the scope it is a 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from customers.master.models import ContactPoint, Customer, CustomerDocument, Tag
from customers.master.views import add_errors
from customers.ownership.sharing import services as sharing
from customers.profile import sections
from customers.profile import services as services_360
from customers.profile.forms import DocumentUploadForm, NoteForm, RelationshipForm, ServiceContactForm, TagForm
from customers.profile.sections import identity_documents, relations_of, transactions_page
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.pages import PermissionPageMixin, is_htmx

MAX_MERGE_HOPS = 5


# Sections that take the full width on large screens; on a phone every section stacks.
WIDE_SECTIONS = {"header", "holdings", "transactions"}


# Shown inline in the browser; anything else is downloaded (never rendered as HTML from our origin).
INLINE_CONTENT_TYPES = {"image/png", "image/jpeg", "image/gif", "application/pdf"}


def find_customer(user, number):
    """(customer, survivor): survivor is set when `number` was merged into another customer
    that the user may see; a number outside the scope (or merged out of it) is a 404."""
    visible = Customer.objects.visible_to(user).select_related(
        "bank", "branch", "primary_manager", "household", "retail_profile", "corporate_profile"
    )
    # Numbers are unique per bank; a superuser sees several banks and gets their own bank's first.
    customer = (
        visible.filter(number=number)
        .order_by(Case(When(bank_id=user.bank_id, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .first()
    )
    if customer is None:
        raise Http404
    if customer.merged_into_id is None:
        return customer, None
    survivor = customer
    for _hop in range(MAX_MERGE_HOPS):
        survivor = visible.filter(pk=survivor.merged_into_id).first()
        if survivor is None:
            raise Http404
        if survivor.merged_into_id is None:
            return customer, survivor
    raise Http404


class CustomerRouteMixin(PermissionPageMixin):
    """Finds the customer of the URL in the user's scope; a merged number redirects to the survivor."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated or not self.has_permission():
            return self.handle_no_permission()
        self.customer, survivor = find_customer(request.user, kwargs["number"])
        if survivor is not None:
            return self.redirect_to_survivor(survivor)
        return super().dispatch(request, *args, **kwargs)

    def redirect_to_survivor(self, survivor):
        url = reverse("customers:detail", args=[survivor.number])
        return redirect(url)


class CustomerDetailView(CustomerRouteMixin, View):
    permission_required = "customers.view_customer"

    def get(self, request, number):
        customer, user = self.customer, request.user
        # may_edit is decided once for the page (a read-only share sees no edit control).
        base = {
            "customer": customer,
            "user": user,
            "csrf_token": get_token(request),
            "may_unmask": user.has_perm("customers.unmask_pii"),
            "may_edit": sharing.may_edit(user, customer),
        }
        # Sections render without the request: context processors (navigation, notifications)
        # run once for the page, not once per section.
        rendered = []
        for section, context in sections.sections_for(customer, user):
            html = get_template(section.template).render({**base, **context, "section": section})
            rendered.append((section, html, section.key in WIDE_SECTIONS))
        return render(request, "customers/detail.html", {**base, "sections": rendered})


class CustomerTransactionsView(CustomerRouteMixin, View):
    """One page of transactions with channel and date filters: an htmx partial, or a page of its own."""

    permission_required = ("customers.view_customer", "customers.view_transaction")

    def redirect_to_survivor(self, survivor):
        url = reverse("customers:transactions", args=[survivor.number])
        query = self.request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)

    def get(self, request, number):
        context = {"customer": self.customer, **transactions_page(self.customer, request.GET)}
        template = "customers/transactions.html" if is_htmx(request) else "customers/transactions_page.html"
        return render(request, template, context)


class CustomerDocumentView(CustomerRouteMixin, View):
    """Streams one of the customer's documents; every view is audited."""

    permission_required = ("customers.view_customer", "customers.view_customerdocument")

    def get(self, request, number, pk):
        document = CustomerDocument.objects.visible_to(request.user).filter(pk=pk, customer=self.customer).first()
        if document is None:
            raise Http404
        try:
            handle = document.file.open("rb")
        except (FileNotFoundError, ValueError):
            raise Http404 from None
        audit.record(
            AuditLog.Action.VIEW_PII,
            document,
            actor=request.user,
            bank_id=document.bank_id,
            detail={"event": "document_viewed", "customer": self.customer.number, "doc_type": document.doc_type},
        )
        inline = document.content_type in INLINE_CONTENT_TYPES and request.GET.get("download") != "1"
        return FileResponse(
            handle,
            as_attachment=not inline,
            filename=document.original_name,
            content_type=document.content_type if inline else "application/octet-stream",
        )


class CustomerRevealView(CustomerRouteMixin, View):
    """POST: clear identity numbers and phone numbers, for users who may unmask; audited once per reveal."""

    permission_required = ("customers.view_customer", "customers.unmask_pii")

    def post(self, request, number):
        customer, user = self.customer, request.user
        documents = identity_documents(customer) if user.has_perm("customers.view_identitydocument") else []
        phones = []
        if user.has_perm("customers.view_contactpoint"):
            phones = list(
                ContactPoint.objects.filter(
                    customer=customer, kind__in=[ContactPoint.Kind.MOBILE, ContactPoint.Kind.PHONE]
                ).order_by("-is_primary", "kind", "pk")
            )
        revealed_documents = [(document, document.clear_number()) for document in documents]
        audit.record(
            AuditLog.Action.VIEW_PII,
            customer,
            actor=user,
            bank_id=customer.bank_id,
            detail={
                "event": "pii_revealed",
                "identity_documents": [document.pk for document in documents],
                "contact_points": [phone.pk for phone in phones],
            },
        )
        context = {
            "customer": customer,
            "revealed_documents": revealed_documents,
            "revealed_phones": phones,
            "detail_url": reverse("customers:detail", args=[customer.number]),
        }
        template = "customers/sections/revealed.html" if is_htmx(request) else "customers/sections/revealed_page.html"
        return render(request, template, context)


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
