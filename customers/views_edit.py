"""Create and edit customers, maintain contact points, and the checker's change-request
pages. Thin views: the customer comes from Customer.objects.visible_to(user) (404
outside the scope) and every change goes through customers.services."""

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from ocrm import approvals, audit
from ocrm.lists import PermissionPageMixin
from ocrm.models import AuditLog, ChangeRequest

from . import services, sharing
from .forms import ContactPointFormSet, CustomerForm, RejectForm, contact_initial
from .models import CorporateProfile, Customer, IdentityDocument, RetailProfile


def visible_customer(user, number):
    """The active customer with this number in the user's scope (their own bank's first,
    for a superuser who sees several banks), else 404; 403 when the user sees it through
    a read-only share (every caller edits the customer)."""
    customers = (
        Customer.objects.visible_to(user)
        .active()
        .select_related("branch", "bank")
        .filter(number=number)
        .order_by(Case(When(bank_id=user.bank_id, then=Value(0)), default=Value(1), output_field=IntegerField()))
    )
    customer = customers.first()
    if customer is None:
        raise Http404
    sharing.require_edit(user, customer)
    return customer


def add_errors(form, exc):
    """A service ValidationError onto the form: on the field it names, else at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def customer_page(customer):
    """Where a person lands after a change: the 360 page."""
    return customer.get_absolute_url()


def field_label(name):
    if name == services.IDENTITY:
        return _("identity document")
    for model in (Customer, RetailProfile, CorporateProfile):
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            continue
    return name


def display_value(name, value, branches):
    """A stored JSON value as a person reads it (choices by label, branches by name)."""
    if value is None or value == "":
        return "—"
    if name == "branch":
        return str(branches.get(value, value))
    if name == services.IDENTITY:
        doc_type = IdentityDocument.Type(value["doc_type"]).label if value.get("doc_type") else ""
        parts = [doc_type, value.get("number_masked") or "", value.get("issuing_country") or ""]
        if value.get("expiry_date"):
            parts.append(_("valid until %(date)s") % {"date": value["expiry_date"]})
        return " ".join(str(p) for p in parts if p)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    for model in (Customer, RetailProfile, CorporateProfile):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
    return str(value)


def change_summary(result):
    parts = []
    if result.applied:
        parts.append(_("Saved: %(fields)s.") % {"fields": ", ".join(field_label(n) for n in result.applied)})
    if result.pending:
        parts.append(
            _("Waiting for a supervisor's approval (request #%(id)s): %(fields)s.")
            % {"id": result.change_request.pk, "fields": ", ".join(field_label(n) for n in result.pending)}
        )
    return " ".join(parts) or _("Nothing was changed.")


class CustomerCreateView(PermissionPageMixin, View):
    permission_required = "customers.add_customer"

    def kind(self):
        kind = self.request.GET.get("kind") or self.request.POST.get("kind")
        return kind if kind in Customer.Kind.values else None

    def get(self, request):
        kind = self.kind()
        if kind is None:
            return render(request, "customers/edit_kind.html", {"kinds": Customer.Kind.choices})
        return self.render_form(CustomerForm(kind=kind, actor=request.user), kind)

    def post(self, request):
        kind = self.kind()
        if kind is None:
            return redirect("customers:create")
        form = CustomerForm(request.POST, kind=kind, actor=request.user)
        if form.is_valid():
            try:
                customer = services.create_customer(form.customer_data(), request.user)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Customer %(customer)s was created.") % {"customer": customer})
                return redirect(customer_page(customer))
        return self.render_form(form, kind)

    def render_form(self, form, kind):
        return render(
            self.request,
            "customers/edit_form.html",
            {
                "form": form,
                "kind": kind,
                "customer": None,
                "title": _("New retail customer") if kind == Customer.Kind.RETAIL else _("New corporate customer"),
            },
        )


class CustomerEditView(PermissionPageMixin, View):
    permission_required = "customers.change_customer"

    def get(self, request, number):
        customer = visible_customer(request.user, number)
        return self.render_form(CustomerForm(kind=customer.kind, actor=request.user, customer=customer), customer)

    def post(self, request, number):
        customer = visible_customer(request.user, number)
        form = CustomerForm(request.POST, kind=customer.kind, actor=request.user, customer=customer)
        if form.is_valid():
            try:
                result = services.update_customer(customer, form.changes(), request.user, form.cleaned_data["reason"])
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "number" in exc.error_dict:
                    exc.error_dict["id_number"] = exc.error_dict.pop("number")
                add_errors(form, exc)
            else:
                level = messages.INFO if result.pending else messages.SUCCESS
                messages.add_message(request, level, change_summary(result))
                return redirect(customer_page(customer))
        return self.render_form(form, customer)

    def render_form(self, form, customer):
        pending = list(approvals.pending_for(customer).filter(action=services.ACTION_UPDATE).select_related("maker"))
        pending_fields = sorted({field_label(name) for request in pending for name in request.changes})
        return render(
            self.request,
            "customers/edit_form.html",
            {
                "form": form,
                "kind": customer.kind,
                "customer": customer,
                "customer_url": customer_page(customer),
                "pending": pending,
                "pending_fields": pending_fields,
                "title": _("Edit %(customer)s") % {"customer": customer},
            },
        )


class ContactsView(PermissionPageMixin, View):
    permission_required = "customers.change_contactpoint"

    def formset(self, customer, data=None):
        unmasked = self.request.user.has_perm("customers.unmask_pii")
        return ContactPointFormSet(
            data,
            initial=contact_initial(customer, unmasked),
            prefix="contacts",
            form_kwargs={"region": customer.branch.country, "unmasked": unmasked},
        )

    def get(self, request, number):
        customer = visible_customer(request.user, number)
        formset = self.formset(customer)
        if request.user.has_perm("customers.unmask_pii") and formset.initial:
            audit.record(
                AuditLog.Action.VIEW_PII, customer, actor=request.user, detail={"page": "contacts", "fields": ["contact_points"]}
            )
        return self.render_page(customer, formset)

    def post(self, request, number):
        customer = visible_customer(request.user, number)
        formset = self.formset(customer, request.POST)
        if formset.is_valid():
            try:
                written = services.save_contacts(customer, formset.rows(), request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _("Contact points saved (%(count)d changed).") % {"count": written})
                return redirect(customer_page(customer))
        return self.render_page(customer, formset)

    def render_page(self, customer, formset):
        return render(
            self.request,
            "customers/contacts.html",
            {
                "customer": customer,
                "customer_url": customer_page(customer),
                "formset": formset,
                "title": _("Contact points of %(customer)s") % {"customer": customer},
            },
        )


class ChangeRequestListView(PermissionPageMixin, View):
    """Customer change requests are decided in the approvals inbox (workbench); this address
    stays for bookmarks and leads there, filtered to customer changes."""

    permission_required = "customers.approve_change"

    def get(self, request):
        return redirect(inbox_url())


def inbox_url():
    return f"{reverse('workbench:inbox')}?{urlencode({'action': services.ACTION_UPDATE})}"


@method_decorator(require_POST, name="dispatch")
class ChangeRequestApproveView(PermissionPageMixin, View):
    permission_required = "customers.approve_change"

    def post(self, request, pk):
        try:
            change_request = approvals.approve(pk, request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Request #%(id)s approved and applied.") % {"id": change_request.pk})
        return redirect(inbox_url())


@method_decorator(require_POST, name="dispatch")
class ChangeRequestRejectView(PermissionPageMixin, View):
    permission_required = "customers.approve_change"

    def post(self, request, pk):
        if not ChangeRequest.objects.visible_to(request.user).filter(pk=pk).exists():
            raise Http404
        form = RejectForm(request.POST)
        if not form.is_valid():
            messages.error(
                request, _("Request #%(id)s was not rejected: %(error)s") % {"id": pk, "error": " ".join(form.errors["reason"])}
            )
            return redirect(inbox_url())
        try:
            approvals.reject(pk, request.user, form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Request #%(id)s rejected.") % {"id": pk})
        return redirect(inbox_url())
