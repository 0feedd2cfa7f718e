"""Generic list page: scoped queryset + django-filter + django-tables2 + XLSX export.

A list page only declares what it shows:

    class BranchListView(ScopedListView):
        model = Branch
        table_class = BranchTable
        filterset_class = BranchFilterSet
        permission_required = "sysadmin.view_branch"
        title = _("Branches")

The queryset is restricted with `Model.objects.visible_to(user)` before anything else
touches it; `?export=xlsx` exports the filtered, sorted result (capped and audited).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from ocrm import parameters
from ocrm.lists import background as export_jobs
from ocrm.lists import defaults
from ocrm.lists.exports import table_rows, xlsx_response
from ocrm.lists.tables import MAX_PER_PAGE, page_size
from ocrm.pages import ScopedQuerysetMixin


def without_nul_bytes(query):
    """A copy of the query (a QueryDict) without the parameters whose name or value holds a NUL byte."""
    clean = query.copy()
    for key, values in query.lists():
        kept = [value for value in values if "\x00" not in value]
        if "\x00" in key or not kept:
            del clean[key]
        else:
            clean.setlist(key, kept)
    return clean


class ScopedListView(ScopedQuerysetMixin, SingleTableMixin, FilterView):
    template_name = "includes/list_page.html"
    title = ""
    export_filename = None
    export_pii = False
    export_exclude = ()
    export_permission = None  # a permission needed to export, beyond seeing the list
    create_url = None  # a URL name, shown as a "new" button when the user may add
    create_perm = None
    per_page = 25
    max_per_page = MAX_PER_PAGE
    default_filter_exclude = ()  # filter fields a saved default never keeps (ocrm.lists.defaults)

    def get_table_pagination(self, table):
        # The table paginates (FilterView's own pagination stays off: one COUNT per page);
        # BaseTable.paginate brings the address's page and per_page into range.
        return {"per_page": self.rows_per_page()}

    def rows_per_page(self):
        return min(page_size(self.request.GET.get("per_page"), self.per_page), self.max_per_page)

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "data": self.filter_data()}

    def filter_data(self):
        """What the filter set reads: the address's parameters, or the person's default filter.
        A NUL byte cannot reach PostgreSQL (it refuses it in text): such a filter value is ignored."""
        if not hasattr(self, "_filter_data"):
            data = self.with_default_filter(self.request.GET or None)
            self._filter_data = without_nul_bytes(data) if data is not None else None
        return self._filter_data

    def with_default_filter(self, data):
        """data, or the person's saved default filter on top of the page's own parameters when data
        names no filter field (a bare address, or only ?page=2 of the default's own result)."""
        self.default_filter_applied = False
        if self.request.GET.get(defaults.SHOW_ALL) or any(key in defaults.filter_fields(type(self)) for key in data or ()):
            return data
        saved = defaults.saved(self.request.user, self.request.resolver_match.view_name)
        if saved is None:
            return data
        merged = data.copy() if data else saved.copy()
        for key, values in saved.lists():
            merged.setlist(key, values)
        self.default_filter_applied = True
        return merged

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return self.export(request)
        return super().get(request, *args, **kwargs)

    def filtered_queryset(self):
        filterset = self.get_filterset(self.get_filterset_class())
        qs = filterset.qs if filterset.is_valid() else self.get_queryset().none()
        return self.sorted_as_asked(qs)

    def sorted_as_asked(self, qs):
        """qs in the order the address asks for (?sort=<column>), as the table will sort the page."""
        sort = self.request.GET.get("sort")
        if sort:
            table = self.table_class(qs.none())  # its columns only (a sliced query could not be ordered)
            column = table.columns[sort.lstrip("-")] if sort.lstrip("-") in table.columns.names() else None
            if column is not None and column.orderable:
                qs = qs.order_by(*[("-" if sort.startswith("-") else "") + f for f in column.order_by])
        return qs

    def may_export(self):
        return not self.export_permission or self.request.user.has_perm(self.export_permission)

    def export(self, request):
        if not self.may_export():
            raise PermissionDenied(_("You may not export this list."))

        qs = self.filtered_queryset()
        background = getattr(self, "background_export", None)
        if background is not None:  # in the worker, as the owner (ocrm.lists.background)
            return background.write(self, qs)
        cap = parameters.get("export.max_rows", request.user.bank_id)
        total = qs.count()
        if total > cap:
            messages.error(
                request,
                _("This export would hold %(n)d rows; the limit is %(cap)d. Narrow the filter.") % {"n": total, "cap": cap},
            )
            query = request.GET.copy()
            query.pop("export", None)
            return redirect(f"{request.path}?{query.urlencode()}")
        if total > parameters.get("export.sync_max_rows", request.user.bank_id):
            # Too big to build inside a request without timing out: a worker writes it.

            export_jobs.queue_export(self, request, total)
            messages.info(
                request,
                _("The export of %(n)d rows runs in the background; download it from My exports when it is ready.")
                % {"n": total},
            )
            return redirect(export_jobs.EXPORT_LIST_URL)
        rows = table_rows(self.table_class, qs, request=request, exclude=self.export_exclude)
        return xlsx_response(
            rows,
            filename=self.export_filename or self.model._meta.model_name,
            request=request,
            object_type=self.model._meta.label_lower,
            pii=self.export_pii,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = self.title or self.model._meta.verbose_name_plural
        context["may_export"] = self.may_export()
        filter_data = getattr(context.get("filter"), "data", None)
        context["default_filter"] = {
            "applied": getattr(self, "default_filter_applied", False),
            "saved": self.request.resolver_match.view_name in defaults.saved_lists(self.request.user),
            "fields": [
                (key, value)
                for key, values in (defaults.kept_fields(type(self), filter_data) if filter_data else {}).items()
                for value in values
            ],
        }
        context["create_url"] = (
            self.create_url
            if self.create_url and (not self.create_perm or self.request.user.has_perm(self.create_perm))
            else None
        )
        return context


@require_POST
@login_required
def default_filter(request):
    """Save the filter the person sees (the list's filter fields posted with `next`, the list's
    address) as their default for that list, or forget it (`clear`). A list they may not open, or
    an address that is no list, answers 404."""
    path = request.POST.get("next", "")
    try:
        match = resolve(path) if path.startswith("/") else None
    except Resolver404:
        match = None
    view_class = getattr(match.func, "view_class", None) if match else None
    if view_class is None or not issubclass(view_class, ScopedListView):
        raise Http404
    required = view_class.permission_required
    if required and not request.user.has_perms((required,) if isinstance(required, str) else required):
        raise Http404
    if request.POST.get("clear"):
        defaults.clear(request.user, match.view_name)
        messages.info(request, _("Your default filter of this list is removed."))
        return redirect(f"{path}?{defaults.SHOW_ALL}=1")
    fields = defaults.kept_fields(view_class, request.POST)
    if not fields:
        messages.error(request, _("Choose a filter first, then save it as your default."))
        return redirect(path)
    defaults.save(request.user, match.view_name, fields)
    messages.success(request, _("This filter now opens by default when you open the list."))
    return redirect(path)
