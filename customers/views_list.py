"""Customer search and list, the teller's exact look-up, and the list's bulk actions.

Thin views: the scope comes from Customer.objects.visible_to (ocrm.lists.ScopedListView),
the search from customers.filtersets, the bulk actions from customers.services_groups.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
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

from . import services_groups
from .filtersets import LOOKUP_KINDS, CustomerFilterSet, exact_match_condition, user_region
from .models import Customer, CustomerGroup, IdentityDocument, Tag
from .tables import CustomerExportTable, CustomerTable, list_prefetches

MAX_LOOKUP_RESULTS = 10
MAX_SELECTED = 1000  # one page holds at most 200 rows; a bigger selection is "all results of the filter"
BULK_PERMISSIONS = ("customers.add_customertag", "customers.change_customergroup", "customers.add_customergroup")


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

    def get_base_queryset(self):
        # (bank, aum) is indexed: the biggest customers first, the number breaks ties.
        return Customer.objects.active().prefetch_related(*list_prefetches()).order_by("-aum", "number")

    def export(self, request):
        self.table_class = CustomerExportTable
        self.export_pii = request.user.has_perm("customers.unmask_pii")
        return super().export(request)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        may = {perm.split(".", 1)[1]: user.has_perm(perm) for perm in BULK_PERMISSIONS}
        context.update(
            no_browsing_scope=scope_of(user) is None,
            may_tag=may["add_customertag"],
            may_group=may["change_customergroup"],
            may_add_group=may["add_customergroup"],
            list_query=self.request.GET.urlencode(),
            has_filter=any(v for k, v in self.request.GET.items() if k not in ("page", "per_page", "sort")),
        )
        if any(may.values()):
            context["bank_tags"] = Tag.objects.filter(bank_id=user.bank_id).order_by("name").values_list("name", flat=True)
            context["static_groups"] = CustomerGroup.objects.filter(owner=user, kind=CustomerGroup.Kind.STATIC)
        return context


# --- bulk actions -------------------------------------------------------------------------


class BulkActionForm(forms.Form):
    ACTIONS = (("tag", gettext_lazy("Add to tag")), ("group", gettext_lazy("Add to group")),
               ("dynamic", gettext_lazy("Save as dynamic group")))
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
    value = forms.CharField(label=gettext_lazy("Number"), max_length=64,
                            help_text=gettext_lazy("The exact customer number, ID number, phone or account number."))
    kind = forms.ChoiceField(label=gettext_lazy("Look up by"), required=False,
                             choices=[("", gettext_lazy("Any of these")), *LOOKUP_KINDS])
    doc_type = forms.ChoiceField(label=gettext_lazy("document type"), required=False,
                                 choices=[("", "---------"), *IdentityDocument.Type.choices])


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
            condition = exact_match_condition(data["value"], bank_id=user.bank_id, region=user_region(user), kinds=kinds,
                                              doc_type=data["doc_type"] or None)
        customers = []
        if condition is not None:
            customers = list(
                Customer.objects.active().filter(condition, bank_id=user.bank_id)
                .select_related("branch", "primary_manager").order_by("number")[:MAX_LOOKUP_RESULTS]
            )
        visible = set(
            Customer.objects.visible_to(user).filter(pk__in=[c.pk for c in customers]).values_list("pk", flat=True)
        ) if customers else set()
        audit.record(
            AuditLog.Action.OTHER, None, request=self.request, object_type="customers.customer",
            object_repr=_("Customer look-up (%(n)d found)") % {"n": len(customers)},
            # The typed value is itself personal data: only its masked form is logged.
            detail={"lookup": data["kind"] or "any", "value": pii.mask_id(data["value"]),
                    "doc_type": data["doc_type"], "found": [c.number for c in customers]},
        )
        return [
            {"customer": c, "masked_name": mask_name(c.name_local), "masked_latin": mask_name(c.name_latin),
             "url": c.get_absolute_url() if c.pk in visible else None}
            for c in customers
        ]
