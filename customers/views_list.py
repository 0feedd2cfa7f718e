"""Customer search and list, the teller's exact look-up, and the list's bulk actions.

Thin views: the scope comes from Customer.objects.visible_to (ocrm.lists.ScopedListView),
the search from customers.filtersets, the bulk actions from customers.services_groups.
"""

import math

from django import forms
from django.contrib import messages
from django.core.exceptions import EmptyResultSet, ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from ocrm import audit, pii
from ocrm.lists import PermissionPageMixin, ScopedListView
from ocrm.models import AuditLog
from ocrm.scoping import scope_of
from sysadmin import parameters

from . import assignment, services_groups
from .filtersets import LOOKUP_KINDS, CustomerFilterSet, exact_match_condition, looks_like_key, user_region
from .models import Customer, CustomerGroup, IdentityDocument
from .search import estimated_rows
from .tables import CustomerExportTable, CustomerTable, list_prefetches

COLUMNS_SESSION_KEY = "customers.list_columns"
MAX_LOOKUP_RESULTS = 10
MAX_SELECTED = 1000  # one page holds at most 200 rows; a bigger selection is "all results of the filter"
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


# --- bulk actions -------------------------------------------------------------------------


class BulkActionForm(forms.Form):
    ACTIONS = (
        ("tag", gettext_lazy("Add to tag")),
        ("group", gettext_lazy("Add to group")),
        ("dynamic", gettext_lazy("Save as dynamic group")),
    )
    SCOPES = (("selected", gettext_lazy("Selected rows")), ("all", gettext_lazy("All results of this filter")))

    action = forms.ChoiceField(choices=ACTIONS)
    scope = forms.ChoiceField(choices=SCOPES, required=False)
    selection = forms.TypedMultipleChoiceField(coerce=int, required=False)
    query = forms.CharField(required=False, max_length=2000)
    tag_name = forms.CharField(required=False, max_length=200)
    group = forms.IntegerField(required=False)
    new_group_name = forms.CharField(required=False, max_length=200)
    dynamic_name = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Ids are checked against the data scope by the service; here they only need to be numbers.
        values = self.data.getlist("selection") if hasattr(self.data, "getlist") else []
        self.fields["selection"].choices = [(v, v) for v in values]

    def clean_selection(self):
        selection = self.cleaned_data["selection"]
        if len(selection) > MAX_SELECTED:
            raise ValidationError(_("Select at most %(n)d rows, or choose all results of the filter.") % {"n": MAX_SELECTED})
        return selection


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


# --- the teller's look-up -----------------------------------------------------------------


class LookupForm(forms.Form):
    value = forms.CharField(
        label=gettext_lazy("Number"),
        max_length=64,
        help_text=gettext_lazy("The exact customer number, ID number, phone or account number."),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Look up by"), required=False, choices=[("", gettext_lazy("Any of these")), *LOOKUP_KINDS]
    )
    doc_type = forms.ChoiceField(
        label=gettext_lazy("document type"), required=False, choices=[("", "---------"), *IdentityDocument.Type.choices]
    )


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
