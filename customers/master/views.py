"""Customer search and list, the teller's exact look-up, the list's bulk actions, create/edit,
contacts, and the customer change requests' approve/reject buttons.

Thin views: the scope comes from Customer.objects.visible_to (ocrm.lists.views.ScopedListView),
the search from customers.master.filtersets, the bulk actions from customers.master.groups, every
change from one call into customers.master.services (ocrm.pages.ServiceFormView /
ServiceActionView). CustomerRouteMixin is how every page below a customer's number finds it.
"""

import math

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import EmptyResultSet, ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from customers.master import groups as services_groups
from customers.master import search, services
from customers.master.filtersets import CustomerFilterSet, looks_like_key
from customers.master.forms import BulkActionForm, ContactPointFormSet, CustomerForm, LookupForm, RejectForm
from customers.master.models import Customer, CustomerGroup
from customers.master.search import estimated_rows
from customers.master.tables import ROW_FIELDS, CustomerExportTable, CustomerTable, field_label, list_prefetches
from customers.ownership.assignment import services as assignment
from customers.ownership.sharing import services as sharing
from ocrm import parameters, preferences
from ocrm.approvals import inbox
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.errors import messages_of
from ocrm.lists import background as export_jobs
from ocrm.lists import defaults
from ocrm.lists.tables import page_number
from ocrm.lists.views import ScopedListView, without_nul_bytes
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView
from ocrm.pii import PrivatePageMixin
from ocrm.scoping import scope_of, subtree_branch_ids

COLUMNS_KEY = "lists.columns"  # ocrm.preferences: {list: [column, ...]} kept on the staff record


# What the page's rows show (customers/customer_table.html): a customer row is wide, and so
# are its branch and manager rows, which the page shows one column of.
PAGE_FIELDS = ROW_FIELDS


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


class RowsFromIds:
    """The table's data when the first ids of the result were read in the page's order
    (search.ordered_ids): a slice within them is read by its ids (no sort, no filter) and put in
    their order; past them, from the queryset, ordered as the table orders it. A queryset as far
    as django-tables2 and the paginator are concerned (count, order_by, slicing)."""

    def __init__(self, queryset, ids, for_page):
        self.rest, self.ids, self.for_page = queryset, ids, for_page
        self.model = queryset.model

    @property
    def query(self):
        return self.rest.query

    def count(self):
        return len(self.ids)

    def order_by(self, *fields):
        # The table orders its data by the same sort the ids were read in: only the rest needs it.
        self.rest = self.rest.order_by(*fields)
        return self

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step is not None:
            return list(self[key : key + 1])[0] if isinstance(key, int) else self.rest[key]
        start, stop = key.start or 0, key.stop if key.stop is not None else len(self.ids)
        if stop > len(self.ids):
            return self.rest[key]
        wanted = self.ids[start:stop]
        position = {pk: index for index, pk in enumerate(wanted)}
        rows = list(self.for_page(search.with_ids(Customer.objects.all(), wanted)).order_by())
        rows.sort(key=lambda row: position[row.pk])
        return rows

    def __iter__(self):
        return iter(self[:])


def rounded(n):
    """38,412 -> 38,000: an estimate shown with more digits than it has would mislead."""
    if n < 100:
        return n
    digits = len(str(n)) - 2
    return round(n, -digits)


class CustomerListView(PrivatePageMixin, ScopedListView):
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

    filter_method = "post"  # the search may hold an identity or phone number: never in the URL
    default_filter_exclude = ("q",)  # nor on the staff record as a saved default filter

    clear_pii_export = True  # may be exported in clear, each time approved by a checker

    def post(self, request, *args, **kwargs):
        """The search form: its fields are kept on the server and the list is shown at ?s=<token>.
        Or, with `clear_export`, the request for an export in clear of the list at ?s=<token>."""
        if request.POST.get("clear_export"):
            return self.request_clear_export(request)
        return self.redirect_to_search(request, request.POST)

    def request_clear_export(self, request):
        self.exporting = True
        try:
            export_jobs.request_clear_export(self, request, request.POST.get("reason", ""))
        except ValidationError as error:
            for message in messages_of(error):
                messages.error(request, message)
            return redirect(request.get_full_path())
        messages.info(
            request, _("Your export with personal data in clear waits for a checker's approval; it appears in My exports.")
        )
        return redirect(export_jobs.EXPORT_LIST_URL)

    def redirect_to_search(self, request, data):
        """To the list at ?s=<token>: the filter's fields kept on the server, the page's own
        parameters (sort, page, export ...) left in the URL."""
        kept, shown = QueryDict(mutable=True), QueryDict(mutable=True)
        for key, values in data.lists():
            if key in CustomerFilterSet.base_filters:
                values = [value for value in values if value.strip()]
                if values:
                    kept.setlist(key, values)
            elif key not in ("csrfmiddlewaretoken", search.SEARCH_TOKEN):
                shown.setlist(key, values)
        if kept:
            shown[search.SEARCH_TOKEN] = search.keep_search(request.user, kept)
        elif request.resolver_match.view_name in defaults.saved_lists(request.user):
            shown[defaults.SHOW_ALL] = "1"  # an emptied search means everything, not the saved default
        return redirect(f"{request.path}?{shown.urlencode()}" if shown else request.path)

    def search_data(self):
        """The filter's fields: the kept search of ?s=<token> with the page's own parameters
        (page, sort, per_page, export) on top. Empty when the token expired."""
        if not hasattr(self, "_search_data"):
            data = self.request.GET.copy()
            token = data.pop(search.SEARCH_TOKEN, [None])[-1]
            if token is not None:
                kept = self.kept_search(token) or QueryDict()
                for key, values in kept.lists():
                    data.setlist(key, values)
            # The person's default filter when the address names none; PostgreSQL refuses NUL in text: such a field is ignored.
            self._search_data = without_nul_bytes(self.with_default_filter(data))
        return self._search_data

    def kept_search(self, token):
        """The search kept under `token`, read from the cache once per request (None when it expired)."""
        if getattr(self, "_kept", (None,))[0] != token:
            self._kept = (token, search.kept_search(self.request.user, token))
        return self._kept[1]

    def export_query(self):
        """What a background export replays: the search itself (a token may expire before it runs)."""
        data = self.search_data().copy()
        data.pop("export", None)
        return data

    def filter_data(self):
        return self.search_data() or None

    def get(self, request, *args, **kwargs):
        if request.GET.get("q", "").strip():
            # A search typed into the URL (an old bookmark): kept on the server like a posted one.
            return self.redirect_to_search(request, request.GET)
        token = request.GET.get(search.SEARCH_TOKEN)
        if token is not None and self.kept_search(token) is None:
            messages.info(request, _("That search has expired; search again."))
            return redirect(request.path)
        if "columns_set" in request.GET:
            # The column chooser: remembered for the session, then back to the same list without its fields.
            optional = {name for name, _label in CustomerTable.optional_columns()}
            chosen = [name for name in request.GET.getlist("columns") if name in optional]
            preferences.put(request.user, COLUMNS_KEY, {**preferences.get(request.user, COLUMNS_KEY, {}), "customers": chosen})
            query = request.GET.copy()
            for key in ("columns_set", "columns", "page"):
                query.pop(key, None)
            return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)
        return super().get(request, *args, **kwargs)

    def shown_columns(self):
        chosen = preferences.get(self.request.user, COLUMNS_KEY, {}).get("customers")
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
            return queryset.only(*ROW_FIELDS).prefetch_related(*list_prefetches())
        return self.for_page(queryset)

    def for_page(self, queryset):
        return (
            queryset.select_related(*self.select_related)
            .only(*PAGE_FIELDS)
            # The phone is read by the table for the page's rows alone (tables.read_phones).
            .prefetch_related(*list_prefetches([name for name in self.shown_columns() if name != "phone"]))
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
        pair = self.pair_alone()
        if pair is not None:
            # Every id under the cap (an exact count), else those up to the asked page; fewer than
            # asked for are all there are.
            need = page_number(self.request.GET.get("page")) * self.rows_per_page() + 1
            limit = cap + 1 if estimate <= cap else need
            ids = search.paired_ids(self.request.user.bank_id, pair, limit)
            self.result_size = (len(ids), True) if len(ids) < limit else (max(estimate, len(ids)), False)
            return RowsFromIds(queryset, ids, self.for_page)
        walked = self.walked_page(queryset, estimate, cap)
        if walked is not None:
            return walked
        if estimate <= cap:
            ids = search.ordered_ids(self.sorted_as_asked(self.rare_name_first(queryset)), cap + 1)
            if ids is None:  # an order that is no plain field (none of the list's own): the ids, then the page among them
                ids = list(queryset.order_by().values_list("pk", flat=True)[: cap + 1])
                if len(ids) <= cap:
                    self.result_size = (len(ids), True)
                    return self.for_page(search.with_ids(Customer.objects.all(), ids).order_by("-aum", "number"))
                estimate = cap + 1
            else:
                # The ids are in the page's order: every page within them is read by its ids alone. A
                # planner's estimate below the cap with more matches behind it (a branch subtree and a
                # common name are correlated) still serves its first pages from them.
                exact = len(ids) <= cap
                self.result_size = (len(ids), True) if exact else (cap + 1, False)
                return RowsFromIds(queryset, ids, self.for_page)
        self.result_size = (estimate, False)
        return self.name_tested_as_text(queryset)

    # The orders whose first key has an index per bank and per branch to walk (migrations 0008, 0021).
    WALKED_ORDERS = ("name_latin", "name_local")
    # The largest AUM first, then the number (the list's default order), is walked for a name search:
    # a supervisor's with the subtree's branches merged (search.merged_ids) through the (bank, branch,
    # AUM descending, number) index of migration 0022, which gives exactly that order. Bank-wide, a
    # Chinese name's pair has its own index in that order (CustomerNamePair, migration 0024); a walk
    # of the (bank, AUM) index reads each row from another page, and the page's own query walks it
    # for a Latin name past the cap, testing the name's text on the first page (name_tested_as_text).
    MERGED_ORDERS = (("-aum", "number"),)
    # A supervisor's whole subtree in AUM order is read from its branches merged past this many rows: the
    # first pages are found at once by the (bank, AUM) index (sup.sh at 1M: ~200 rows read for 26), and the
    # merged walk costs a round trip of its own; page 40 read 5,462 rows of it for 1,001.
    MERGED_FROM_ROW = 100

    def walked_page(self, queryset, estimate, cap):
        """The rows up to the asked page, read by walking the name indexes (search.walked_ids,
        search.subtree_ids) where sorting every match would cost more: a name search with more
        matches than the cap, a supervisor's whole subtree sorted by name, or by AUM without a filter
        (its branches merged: search.merged_ids); and a name search with more matches than the cap in
        AUM order: bank-wide through the index of its CJK pair (search.paired_ids), in a subtree
        through the subtree's branches merged.
        None otherwise (a Latin name bank-wide: name_tested_as_text). The size stays the planner's
        estimate ("about N") unless the walk saw the end."""
        asked = self.sorted_as_asked(queryset)
        first = next(iter(asked.query.order_by), "")
        field = first.lstrip("-") if isinstance(first, str) else ""
        by_name = field in self.WALKED_ORDERS
        if not (by_name or tuple(asked.query.order_by) in self.MERGED_ORDERS) or estimate <= cap:
            return None
        need = page_number(self.request.GET.get("page")) * self.rows_per_page() + 1
        if need > search.WALK_BUDGET // 2:  # deep pages: the sort of every match costs less than the walk
            return None
        ids = self.walked_ids(asked, need, by_name)
        if ids is None:
            return None
        self.result_size = (max(estimate, len(ids)), False) if len(ids) >= need else (len(ids), True)
        return RowsFromIds(queryset, ids, self.for_page)

    def walked_ids(self, asked, need, by_name):
        """The first `need` ids of `asked` (the page's query in its order: by name if `by_name`, else by
        AUM) read by a walk, or None where no walk serves (walked_page)."""
        user = self.request.user
        scope = scope_of(user)
        branch_ids = subtree_branch_ids(user) if scope == "subtree" else None
        if not self.is_name_search():
            if branch_ids is None:
                return None
            if by_name:
                return search.subtree_ids(asked, need, branch_ids)
            if need <= self.MERGED_FROM_ROW or not self.unfiltered() or len(branch_ids) > search.WALKED_BRANCHES_MAX:
                return None  # AUM order without a name: a supervisor's whole subtree, past its first pages
            return search.merged_ids(asked, need, branch_ids)
        text = self.search_data().get("q", "")
        if not by_name and scope not in ("bank", "subtree"):
            return None  # AUM order is walked for a name search bank-wide or in a subtree only
        if not by_name:
            # The page's own query (scope, filters, name) tested on the pair's customers in AUM order. A
            # subtree's share of them may be small: a shorter walk, then the subtree's own.
            pair = search.walked_pair(text)
            budget = search.WALK_BUDGET if branch_ids is None else search.WALK_BUDGET // 5
            ids = None if pair is None else search.paired_ids(user.bank_id, pair, need, matching=asked, budget=budget)
            if ids is not None or branch_ids is None:
                return ids
        unsearched = self.unsearched_filterset()
        if unsearched is None:
            return None
        unsearched = self.sorted_as_asked(unsearched.qs)
        if branch_ids is None:
            return search.walked_ids(unsearched, need, text)
        if len(branch_ids) > search.WALKED_BRANCHES_MAX:
            return None
        if by_name:
            # One walk per branch: a subtree's names cluster, one walk of the bank's index would pass them all.
            return search.subtree_ids(unsearched, need, branch_ids, text=text)
        return search.merged_ids(unsearched, need, branch_ids, text)

    def pair_alone(self):
        """The pair of a bank-wide search for exactly two CJK characters and nothing else, in the list's
        own order: its ids are read from the pair's index alone (search.paired_ids), which holds exactly
        the bank's golden records with that pair in either name. None for any other search, filter, sort
        or scope."""
        user, data = self.request.user, self.search_data()
        pair = search.exact_pair(data.get("q", ""))
        if pair is None or self.exporting or self.request.GET.get("sort") or user.bank_id is None:
            return None
        return None if not self.unfiltered(but="q") or scope_of(user) != "bank" else pair

    def unfiltered(self, but=None):
        """Whether the list has no filter field set (the search `but` aside)."""
        data = self.search_data()
        return not any(value.strip() for key in CustomerFilterSet.base_filters if key != but for value in data.getlist(key))

    def unsearched_filterset(self):
        """The list's filters without its name search (a walk tests the name itself), or None when they are not valid."""
        filterset_class = self.get_filterset_class()
        kwargs = self.get_filterset_kwargs(filterset_class)
        kwargs["data"] = kwargs["data"].copy()
        kwargs["data"].pop("q", None)
        unsearched = filterset_class(**kwargs)
        return unsearched if unsearched.is_valid() else None

    def name_tested_as_text(self, queryset):
        """The first page of a bank-wide Chinese name search past the cap, in the list's own order: PostgreSQL
        walks the (bank, AUM) index and tests each row's name until the page is full (bank-wide 慧敏 at 1M
        customers: 5,322 rows, the top of the AUM order being companies with long English names). The same
        filters with the name tested on its text (search.filter_by_name_text): the walk 9.2 -> 4.6 ms. Further pages,
        other orders and other scopes keep the gram test, which lets the planner read the GIN index instead."""
        if self.exporting or scope_of(self.request.user) != "bank" or not self.is_name_search():
            return queryset
        first_page = page_number(self.request.GET.get("page")) == 1
        if not first_page or tuple(self.sorted_as_asked(queryset).query.order_by) != self.MERGED_ORDERS[0]:
            return queryset
        tested = self.filterset.name_tested_as_text()
        return queryset if tested is None else tested

    # A supervisor's name search reads the name's matches and tests the subtree on each when the subtree
    # has this many times as many rows as the name has matches in the bank: at 1M customers a row read
    # through the name index cost ~3.3 µs, an entry of the subtree's index ~0.065.
    SUBTREE_ROWS_PER_NAME_MATCH = 50
    # Past this many matches (~16 ms of rows read), not even the largest subtree is read slower.
    RARE_NAME_MAX = 5000

    def rare_name_first(self, queryset):
        """A supervisor's search for a name rare in the whole bank: the same rows, the subtree tested on each of
        the name's matches (search.subtree_tested_per_row). PostgreSQL would AND the name index's entries with
        the subtree's (sup.sh 林志 at 1M customers: 1,336 entries with 131,498)."""
        user = self.request.user
        if scope_of(user) != "subtree" or not self.is_name_search() or user.bank_id is None:
            return queryset
        bank_customers = Customer.objects.filter(bank_id=user.bank_id)
        named = estimated_rows(search.filter_by_name(bank_customers, self.search_data()["q"]))
        if named > self.RARE_NAME_MAX:
            return queryset
        branch_ids = subtree_branch_ids(user)
        if named * self.SUBTREE_ROWS_PER_NAME_MATCH > search.subtree_rows(Customer.objects.all(), user.bank_id, branch_ids):
            return queryset
        return search.subtree_tested_per_row(queryset, branch_ids)

    def is_name_search(self):
        text = self.search_data().get("q", "").strip()
        return bool(text) and not looks_like_key(text)

    def get_table_pagination(self, table):
        size, exact = self.result_size
        return {**super().get_table_pagination(table), "paginator_class": SizedPaginator, "size": size, "exact": exact}

    def export(self, request):
        # Masked like the page; in clear only as an approved clear export (ocrm.lists.background).
        self.exporting = True
        self.table_class = CustomerExportTable
        request.list_query = self.export_query().urlencode()  # the audit entry names the search, not its token
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
            column_choices=[(name, label, context["table"].show[name]) for name, label in CustomerTable.optional_columns()],
            no_browsing_scope=scope_of(user) is None,
            may_tag=may["add_customertag"],
            may_group=may["change_customergroup"],
            may_add_group=may["add_customergroup"],
            list_query=self.request.GET.urlencode(),  # ?s=<token>: BulkTagView expands it
            filter_method=self.filter_method,
            may_export_clear=context["may_export"] and user.has_perm(export_jobs.CLEAR_PII_PERM),
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
        pending = assignment.pending_actions_by_customer([c.pk for c in customers]) if customers else {}
        for customer in customers:
            actions = pending.get(customer.pk, ())
            customer.pending_transfer = assignment.ACTION_TRANSFER in actions
            customer.pending_claim = assignment.ACTION_CLAIM in actions


class BulkTagView(ServiceActionView):
    """POST only: tag, or add to a group, the selected rows or the whole filtered result;
    or save the filter as a dynamic group. Each permission is checked by the service."""

    permission_required = "customers.view_customer"
    form_class = BulkActionForm

    def list_query(self):
        """The list's query string as its page had it (?s=<token>: no personal data; for the way back)."""
        return self.request.POST.get("query", "")[:2000]

    def filter_query(self):
        """The filter the list's query stands for (its search token expanded)."""
        data = search.expand_search(self.request.user, self.list_query())
        if data is None:
            raise ValidationError(_("That search has expired; search again."))
        return data.urlencode()

    def perform(self):
        data = self.form.cleaned_data
        needs_filter = data["action"] == "dynamic" or data["scope"] == "all"
        query = self.filter_query() if needs_filter else ""
        customers, selection = (None, "") if data["action"] == "dynamic" else self.selected_customers(data, query)
        return services_groups.bulk_action(
            self.request.user,
            data["action"],
            customers,
            selection=selection,
            query=query,
            tag_name=data["tag_name"],
            group_id=data["group"],
            new_group_name=data["new_group_name"],
            dynamic_name=data["dynamic_name"],
        )

    def selected_customers(self, data, query):
        base = Customer.objects.visible_to(self.request.user).active()
        if data["scope"] == "all":
            filterset = CustomerFilterSet(QueryDict(query), queryset=base, request=self.request)
            if not filterset.is_valid():
                raise ValidationError(_("The list's filter is not valid: correct it and try again."))
            return filterset.qs, f"filter: {query}"
        if not data["selection"]:
            raise ValidationError(_("Select at least one customer, or choose all results of the filter."))
        return base.filter(pk__in=data["selection"]), f"{len(data['selection'])} selected rows"

    def get_success_message(self, outcome):
        if outcome.action == "dynamic":
            return _("Saved the filter as the dynamic group “%(name)s”.") % {"name": outcome.target.name}
        if outcome.action == "tag":
            return _("Tagged %(n)d customer(s) “%(tag)s”.") % {"n": outcome.count, "tag": outcome.target.name}
        return _("Added %(n)d customer(s) to the group “%(group)s”.") % {"n": outcome.count, "group": outcome.target.name}

    def get_error_messages(self, error):
        return messages_of(error)

    def get_success_url(self, outcome):
        query = self.list_query()
        return reverse("customers:list") + (f"?{query}" if query else "")


def mask_name(name):
    """王** / W*** W**: enough to confirm a customer at the counter, no more."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in str(name or "").split())


class LookupView(PrivatePageMixin, PermissionPageMixin, TemplateView):
    """Exact look-up across the user's bank for staff without a browsing scope (tellers):
    a minimal masked card per match, and every look-up audited (by the service)."""

    permission_required = "customers.view_customer"
    template_name = "customers/lookup.html"
    http_method_names = ["get", "post"]

    def post(self, request, *args, **kwargs):
        # Posted, never a GET: the number looked up stays out of URLs and the access log.
        return self.render_to_response(self.get_context_data(**kwargs))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = LookupForm(self.request.POST if self.request.method == "POST" else None)
        context.update(form=form, title=_("Customer look-up"), results=None)
        if form.is_valid():
            data = form.cleaned_data
            customers, visible = services.lookup_customers(
                self.request.user, data["value"], kind=data["kind"], doc_type=data["doc_type"]
            )
            context["results"] = [
                {
                    "customer": c,
                    "masked_name": mask_name(c.name_local),
                    "masked_latin": mask_name(c.name_latin),
                    "url": c.get_absolute_url() if c.pk in visible else None,
                }
                for c in customers
            ]
        return context


class CustomerRouteMixin(PrivatePageMixin, PermissionPageMixin):
    """A page below one customer's number: the customer comes from services.customer_by_number
    (the user's scope, else 404); a merged number leads to its survivor's 360 page; with
    `edits_customer`, a read-only share lets its holder look, not change (403). Never cached
    (PrivatePageMixin)."""

    customer_related = ("bank", "branch")
    edits_customer = False

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        if not request.user.is_authenticated or not self.has_permission():
            return self.handle_no_permission()
        found = services.customer_by_number(request.user, kwargs["number"], select_related=self.customer_related)
        if found.survivor is not None:
            return self.redirect_to_survivor(found.survivor)
        self.customer = found.customer
        if self.edits_customer:
            sharing.require_edit(request.user, self.customer)
        return super().dispatch(request, *args, **kwargs)

    def redirect_to_survivor(self, survivor):
        return redirect("customers:detail", survivor.number)

    def get_object(self):
        return self.customer


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


class CustomerCreateView(ServiceFormView):
    permission_required = "customers.add_customer"
    form_class = CustomerForm
    template_name = "customers/edit_form.html"

    def kind(self):
        kind = self.request.GET.get("kind") or self.request.POST.get("kind")
        return kind if kind in Customer.Kind.values else None

    def get(self, request, *args, **kwargs):
        if self.kind() is None:
            return render(request, "customers/edit_kind.html", {"kinds": Customer.Kind.choices})
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.kind() is None:
            return redirect("customers:create")
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "kind": self.kind(), "actor": self.request.user}

    def perform(self, form):
        return services.create_customer(form.customer_data(), self.request.user)

    def get_success_message(self, customer):
        return _("Customer %(customer)s was created.") % {"customer": customer}

    def get_success_url(self, customer):
        return customer.get_absolute_url()

    def get_title(self):
        return _("New retail customer") if self.kind() == Customer.Kind.RETAIL else _("New corporate customer")

    def get_context_data(self, **kwargs):
        return super().get_context_data(kind=self.kind(), customer=None, **kwargs)


class CustomerEditView(CustomerRouteMixin, ServiceFormView):
    permission_required = "customers.change_customer"
    edits_customer = True
    form_class = CustomerForm
    template_name = "customers/edit_form.html"
    renamed_fields = {"number": "id_number"}

    def get_form_kwargs(self):
        customer = self.customer
        return {**super().get_form_kwargs(), "kind": customer.kind, "actor": self.request.user, "customer": customer}

    def perform(self, form):
        return services.update_customer(self.customer, form.changes(), self.request.user, form.cleaned_data["reason"])

    def get_success_message(self, result):
        return change_summary(result)

    def get_success_level(self, result):
        return messages.INFO if result.pending else messages.SUCCESS

    def get_success_url(self, result):
        return self.customer.get_absolute_url()

    def get_title(self):
        return _("Edit %(customer)s") % {"customer": self.customer}

    def get_context_data(self, **kwargs):
        customer = self.customer
        pending = list(approvals.pending_for(customer).filter(action=services.ACTION_UPDATE).select_related("maker"))
        return super().get_context_data(
            kind=customer.kind,
            customer=customer,
            customer_url=customer.get_absolute_url(),
            pending=pending,
            pending_fields=sorted({field_label(name) for request in pending for name in request.changes}),
            **kwargs,
        )


class ContactsView(CustomerRouteMixin, ServiceFormView):
    permission_required = "customers.change_contactpoint"
    edits_customer = True
    template_name = "customers/contacts.html"
    errors_as_messages = True

    def get_form(self):
        customer, user = self.customer, self.request.user
        unmasked = user.has_perm("customers.unmask_pii")
        if self.request.method == "POST":
            data, initial = self.request.POST, services.contact_rows(customer, unmasked)
        else:  # shown in clear to who may unmask: the service audits that
            data, initial = None, services.contacts_shown(customer, user)
        return ContactPointFormSet(
            data, initial=initial, prefix="contacts", form_kwargs={"region": customer.branch.country, "unmasked": unmasked}
        )

    def perform(self, formset):
        return services.save_contacts(self.customer, formset.rows(), self.request.user)

    def get_success_message(self, written):
        return _("Contact points saved (%(count)d changed).") % {"count": written}

    def get_success_url(self, written):
        return self.customer.get_absolute_url()

    def get_title(self):
        return _("Contact points of %(customer)s") % {"customer": self.customer}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            customer=self.customer, customer_url=self.customer.get_absolute_url(), formset=kwargs["form"], **kwargs
        )


class ChangeRequestListView(LoginRequiredMixin, View):
    """Customer change requests are decided in the approvals inbox; this address stays for
    bookmarks and leads a checker there, and a maker to their own requests, filtered to customer changes."""

    def get(self, request):
        if request.user.has_perm("customers.approve_change"):
            return redirect(inbox_url())
        return redirect(inbox.own_page_url(action=services.ACTION_UPDATE))


def inbox_url():
    return inbox.page_url(action=services.ACTION_UPDATE)


class ChangeRequestApproveView(ServiceActionView):
    permission_required = "customers.approve_change"
    model = ChangeRequest

    def perform(self):
        return approvals.approve(self.object.pk, self.request.user)

    def get_success_message(self, change_request):
        return _("Request #%(id)s approved and applied.") % {"id": change_request.pk}

    def get_success_url(self, result):
        return inbox_url()


class ChangeRequestRejectView(ServiceActionView):
    permission_required = "customers.approve_change"
    model = ChangeRequest
    form_class = RejectForm

    def form_invalid(self, form):
        messages.error(
            self.request,
            _("Request #%(id)s was not rejected: %(error)s") % {"id": self.object.pk, "error": " ".join(form.errors["reason"])},
        )

    def perform(self):
        return approvals.reject(self.object.pk, self.request.user, self.form.cleaned_data["reason"])

    def get_success_message(self, change_request):
        return _("Request #%(id)s rejected.") % {"id": change_request.pk}

    def get_success_url(self, result):
        return inbox_url()
