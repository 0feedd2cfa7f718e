"""Customer search and list, the teller's exact look-up, and the list's bulk actions.

Thin views: the scope comes from Customer.objects.visible_to (ocrm.lists.views.ScopedListView),
the search from customers.master.filtersets, the bulk actions from customers.master.groups.
"""

import math

from django.contrib import messages
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from customers.master import groups as services_groups
from customers.master import services
from customers.master.filtersets import CustomerFilterSet, exact_match_condition, looks_like_key, user_region
from customers.master.forms import BulkActionForm, ContactPointFormSet, CustomerForm, LookupForm, RejectForm, contact_initial
from customers.master.models import CorporateProfile, Customer, CustomerGroup, IdentityDocument, RetailProfile
from customers.master.search import estimated_rows
from customers.master.tables import CustomerExportTable, CustomerTable, list_prefetches
from customers.ownership.assignment import services as assignment
from customers.ownership.sharing import services as sharing
from ocrm import parameters, pii
from ocrm.approvals import inbox
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin
from ocrm.scoping import scope_of

COLUMNS_SESSION_KEY = "customers.list_columns"


MAX_LOOKUP_RESULTS = 10


# What the page's rows show (customers/customer_table.html): a customer row is wide, and so
# are its branch and manager rows, which the page shows one column of.
PAGE_FIELDS = (
    "number",
    "name_local",
    "name_latin",
    "kind",
    "lifecycle_stage",
    "tier",
    "star_rating",
    "aum",
    "branch__code",
    "primary_manager__username",
)


BULK_PERMISSIONS = ("customers.add_customertag", "customers.change_customergroup", "customers.add_customergroup")


class SizedPaginator(Paginator):
    """Pages over a result whose size the view decided beforehand: exact (`exact`), or the
    planner's estimate, in which case nothing is counted and each page is read with one row
    more, so that "next" is still offered when the estimate was too low, and the last page
    makes the size exact."""

    def __init__(self, object_list, per_page, *, size, exact, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.size, self.exact, self.more, self.current = size, exact, False, 1

    @property
    def count(self):
        return self.size

    @property
    def num_pages(self):
        pages = max(1, math.ceil(self.size / self.per_page)) if self.size else 1
        return pages if self.exact else max(pages, self.current + self.more)

    def validate_number(self, number):
        if self.exact:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = 1
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        return number

    def page(self, number):
        if self.exact:
            return super().page(number)
        self.current = number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        self.more = len(rows) > self.per_page
        if not self.more and (rows or number == 1):  # the end is in sight: now the size is known
            self.size, self.exact = bottom + len(rows), True
        return self._get_page(rows[: self.per_page], number, self)


def rounded(n):
    """38,412 -> 38,000: an estimate shown with more digits than it has would mislead."""
    if n < 100:
        return n
    digits = len(str(n)) - 2
    return round(n, -digits)


class CustomerListView(ScopedListView):
    model = Customer
    table_class = CustomerTable
    filterset_class = CustomerFilterSet
    permission_required = "customers.view_customer"
    template_name = "customers/list.html"
    title = gettext_lazy("Customers")
    export_filename = "customers"
    export_exclude = ("selection",)
    export_permission = "customers.export_customers"
    select_related = ("branch", "primary_manager")
    exporting = False  # an export has every column, whatever the page shows

    def get(self, request, *args, **kwargs):
        if "columns_set" in request.GET:
            # The column chooser: remembered for the session, then back to the same list without its fields.
            optional = {name for name, _label in CustomerTable.optional_columns()}
            request.session[COLUMNS_SESSION_KEY] = [name for name in request.GET.getlist("columns") if name in optional]
            query = request.GET.copy()
            for key in ("columns_set", "columns", "page"):
                query.pop(key, None)
            return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)
        return super().get(request, *args, **kwargs)

    def shown_columns(self):
        chosen = self.request.session.get(COLUMNS_SESSION_KEY)
        return [*CustomerTable.FIXED_COLUMNS, *(CustomerTable.DEFAULT_COLUMNS if chosen is None else chosen)]

    def get_table_kwargs(self):
        shown = self.shown_columns()
        return {
            **super().get_table_kwargs(),
            "template_name": "customers/customer_table.html",
            "exclude": [name for name in CustomerTable.base_columns if name not in shown],
            "name_search": self.is_name_search(),
        }

    def get_base_queryset(self):
        # (bank, aum) is indexed: the biggest customers first, the number breaks ties. An export
        # has every column; the page prefetches for the columns it shows.
        queryset = Customer.objects.active().order_by("-aum", "number")
        if self.exporting:
            return queryset.prefetch_related(*list_prefetches())
        return self.for_page(queryset)

    def for_page(self, queryset):
        return (
            queryset.select_related(*self.select_related)
            .only(*PAGE_FIELDS)
            .prefetch_related(*list_prefetches(self.shown_columns()))
        )

    def get_table_data(self):
        """The filtered customers, sized without counting a large result (self.result_size).

        Up to customers.list_exact_count_max matches (by the planner's estimate), their ids are
        read first through the filters' own indexes and the page is sorted among those ids only:
        the count is exact, and no sort order can make PostgreSQL walk a sort index past a
        million rows looking for a rare name. Above it, the page says "about N" (the estimate)
        and the sort index is walked, which finds a common name's page at once (a name search
        sorted by name excepted: CustomerTable.order_name_latin)."""
        queryset = super().get_table_data()
        cap = parameters.get("customers.list_exact_count_max", self.request.user.bank_id)
        try:
            estimate = estimated_rows(queryset)
        except EmptyResultSet:  # a filter that matches nothing by construction (no scope, no such key)
            self.result_size = (0, True)
            return queryset.none()
        if estimate <= cap:
            ids = list(queryset.order_by().values_list("pk", flat=True)[: cap + 1])
            if len(ids) <= cap:
                self.result_size = (len(ids), True)
                return self.for_page(Customer.objects.filter(pk__in=ids).order_by("-aum", "number"))
            estimate = cap + 1
        self.result_size = (estimate, False)
        return queryset

    def is_name_search(self):
        text = self.request.GET.get("q", "").strip()
        return bool(text) and not looks_like_key(text)

    def get_table_pagination(self, table):
        size, exact = self.result_size
        return {**super().get_table_pagination(table), "paginator_class": SizedPaginator, "size": size, "exact": exact}

    def export(self, request):
        self.exporting = True
        self.table_class = CustomerExportTable
        self.export_pii = request.user.has_perm("customers.unmask_pii")
        return super().export(request)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        may = {perm.split(".", 1)[1]: user.has_perm(perm) for perm in BULK_PERMISSIONS}
        paginator = context["table"].paginator
        context.update(
            result_count=paginator.count if paginator.exact else rounded(paginator.count),
            count_is_estimate=not paginator.exact,
            kept_query=[
                (key, value)
                for key, values in self.request.GET.lists()
                for value in values
                if key not in ("page", "columns", "columns_set", "export")
            ],
            column_choices=[(name, label, name in context["table"].show) for name, label in CustomerTable.optional_columns()],
            no_browsing_scope=scope_of(user) is None,
            may_tag=may["add_customertag"],
            may_group=may["change_customergroup"],
            may_add_group=may["add_customergroup"],
            list_query=self.request.GET.urlencode(),
            has_filter=any(v for k, v in self.request.GET.items() if k not in ("page", "per_page", "sort")),
            may_reassign=user.has_perm(assignment.REASSIGN_PERM),
        )
        self.mark_pending_requests(context["table"])
        if any(may.values()):
            # The filter form offers the same tags and groups: read once (its choices reuse them), shown twice.
            fields = context["filter"].form.fields
            context["bank_tags"] = [tag.name for tag in fields["tag"].queryset]
            context["static_groups"] = [group for group in fields["group"].queryset if group.kind == CustomerGroup.Kind.STATIC]
        return context

    @staticmethod
    def mark_pending_requests(table):
        """Flag the page's customers that wait for a branch transfer or a claim (one query for the page)."""
        page = getattr(table, "page", None)
        customers = [row.record for row in page.object_list] if page else []
        pending = assignment.pending_by_customer([c.pk for c in customers]) if customers else {}
        for customer in customers:
            entry = pending.get(customer.pk, {})
            customer.pending_transfer = entry.get("transfer")
            customer.pending_claims = entry.get("claims", [])


class BulkTagView(PermissionPageMixin, View):
    """POST only: tag, or add to a group, the selected rows or the whole filtered result;
    or save the filter as a dynamic group. Each permission is checked by the service."""

    permission_required = "customers.view_customer"
    http_method_names = ["post"]

    def post(self, request):
        form = BulkActionForm(request.POST)
        query = request.POST.get("query", "")[:2000]
        back = reverse("customers:list") + (f"?{query}" if query else "")
        if not form.is_valid():
            for field, errors in form.errors.items():
                for error in errors:
                    messages.error(request, f"{form.fields[field].label or field}: {error}" if field != "__all__" else error)
            return redirect(back)
        data = form.cleaned_data
        try:
            self.apply(request, data, query)
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        return redirect(back)

    def apply(self, request, data, query):
        user = request.user
        if data["action"] == "dynamic":
            group = services_groups.save_dynamic_group(user, data["dynamic_name"], query)
            messages.success(request, _("Saved the filter as the dynamic group “%(name)s”.") % {"name": group.name})
            return
        customers, selection = self.selected_customers(request, data, query)
        if data["action"] == "tag":
            tag, count = services_groups.add_to_tag(user, customers, data["tag_name"], selection=selection)
            messages.success(request, _("Tagged %(n)d customer(s) “%(tag)s”.") % {"n": count, "tag": tag.name})
            return
        group_id = data["group"]
        if not group_id:
            if not data["new_group_name"]:
                raise ValidationError(_("Choose one of your groups or name a new one."))
            group_id = services_groups.create_static_group(user, data["new_group_name"]).pk
        group, count = services_groups.add_to_group(user, customers, group_id, selection=selection)
        messages.success(request, _("Added %(n)d customer(s) to the group “%(group)s”.") % {"n": count, "group": group.name})

    def selected_customers(self, request, data, query):
        base = Customer.objects.visible_to(request.user).active()
        if data["scope"] == "all":
            filterset = CustomerFilterSet(QueryDict(query), queryset=base, request=request)
            if not filterset.is_valid():
                raise ValidationError(_("The list's filter is not valid: correct it and try again."))
            return filterset.qs, f"filter: {query}"
        if not data["selection"]:
            raise ValidationError(_("Select at least one customer, or choose all results of the filter."))
        return base.filter(pk__in=data["selection"]), f"{len(data['selection'])} selected rows"


def mask_name(name):
    """王** / W*** W**: enough to confirm a customer at the counter, no more."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in str(name or "").split())


class LookupView(PermissionPageMixin, TemplateView):
    """Exact look-up across the user's bank for staff without a browsing scope (tellers):
    a minimal masked card per match, and every look-up audited."""

    permission_required = "customers.view_customer"
    template_name = "customers/lookup.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = LookupForm(self.request.GET or None)
        context.update(form=form, title=_("Customer look-up"), results=None)
        if form.is_valid():
            context["results"] = self.lookup(form.cleaned_data)
        return context

    def lookup(self, data):
        user = self.request.user
        kinds = [data["kind"]] if data["kind"] else None
        condition = None
        if user.bank_id is not None:
            condition = exact_match_condition(
                data["value"], bank_id=user.bank_id, region=user_region(user), kinds=kinds, doc_type=data["doc_type"] or None
            )
        customers = []
        if condition is not None:
            customers = list(
                Customer.objects.active()
                .filter(condition, bank_id=user.bank_id)
                .select_related("branch", "primary_manager")
                .order_by("number")[:MAX_LOOKUP_RESULTS]
            )
        visible = (
            set(Customer.objects.visible_to(user).filter(pk__in=[c.pk for c in customers]).values_list("pk", flat=True))
            if customers
            else set()
        )
        audit.record(
            AuditLog.Action.OTHER,
            None,
            request=self.request,
            object_type="customers.customer",
            object_repr=_("Customer look-up (%(n)d found)") % {"n": len(customers)},
            # The typed value is itself personal data: only its masked form is logged.
            detail={
                "lookup": data["kind"] or "any",
                "value": pii.mask_id(data["value"]),
                "doc_type": data["doc_type"],
                "found": [c.number for c in customers],
            },
        )
        return [
            {
                "customer": c,
                "masked_name": mask_name(c.name_local),
                "masked_latin": mask_name(c.name_latin),
                "url": c.get_absolute_url() if c.pk in visible else None,
            }
            for c in customers
        ]


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
    """Customer change requests are decided in the approvals inbox; this address
    stays for bookmarks and leads there, filtered to customer changes."""

    permission_required = "customers.approve_change"

    def get(self, request):
        return redirect(inbox_url())


def inbox_url():
    return inbox.page_url(action=services.ACTION_UPDATE)


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
