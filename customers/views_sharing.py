"""Pages of customer sharing: the share form (from the 360 page), a colleague look-up for it,
"shared with me", "shared by me" (revoke) and the 360 section listing the shares in force.
Thin views: customers come from Customer.objects.visible_to(user), shares from
CustomerShare.objects.visible_to(user) (404 outside the scope); the work is done by
customers.sharing."""

import datetime

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST

from ocrm.lists import PermissionPageMixin, ScopedListView
from ocrm.tables import BaseTable

from . import sections, sharing
from .models import CustomerShare
from .views_detail import CustomerRouteMixin
from .views_edit import add_errors

SHARES_IN_SECTION = 20


# --- the share form -------------------------------------------------------------------------------


class ShareForm(forms.Form):
    shared_with = forms.CharField(
        label=gettext_lazy("Colleague (user name)"),
        max_length=150,
        help_text=gettext_lazy("Type a user name, a name or an employee number and pick from the suggestions."),
        widget=forms.TextInput(attrs={"list": "colleague-suggestions", "autocomplete": "off"}),
    )
    can_edit = forms.BooleanField(label=gettext_lazy("May also edit the customer"), required=False)
    expires_on = forms.DateField(
        label=gettext_lazy("Shared until (end of the day)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def expires_at(self):
        """The end of the chosen day in the user's time zone (the page shows their zone)."""
        day = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


class ShareCreateView(CustomerRouteMixin, View):
    permission_required = ("customers.view_customer", "customers.add_customershare")

    def get(self, request, number):
        if not sharing.may_share(request.user, self.customer):
            raise PermissionDenied(_("Only the customer's manager or a supervisor may share this customer."))
        default_end = timezone.localdate() + datetime.timedelta(days=14)
        return self.render_page(ShareForm(initial={"expires_on": default_end}))

    def post(self, request, number):
        form = ShareForm(request.POST)
        if form.is_valid():
            try:
                colleague = sharing.find_colleague(request.user, form.cleaned_data["shared_with"])
                share = sharing.share_customer(
                    self.customer,
                    request.user,
                    colleague,
                    can_edit=form.cleaned_data["can_edit"],
                    expires_at=form.expires_at(),
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "expires_at" in exc.error_dict:
                    exc.error_dict["expires_on"] = exc.error_dict.pop("expires_at")
                add_errors(form, exc)
            else:
                if share.status == CustomerShare.Status.PENDING:
                    messages.info(
                        request,
                        _("The share with %(name)s waits for a supervisor's approval (request #%(id)s).")
                        % {"name": colleague.display_name, "id": share.change_request_id},
                    )
                else:
                    messages.success(
                        request,
                        _("%(customer)s is now shared with %(name)s.")
                        % {"customer": self.customer, "name": colleague.display_name},
                    )
                return redirect(f"{self.customer.get_absolute_url()}#section-shares")
        return self.render_page(form)

    def render_page(self, form):
        return render(
            self.request,
            "customers/sharing/share_form.html",
            {
                "customer": self.customer,
                "form": form,
                "title": _("Share %(customer)s") % {"customer": self.customer},
                "back_url": f"{self.customer.get_absolute_url()}#section-shares",
            },
        )


class ColleagueSuggestView(PermissionPageMixin, View):
    """Suggestions for the share form's colleague field (a few rows, never the whole staff list)."""

    permission_required = "customers.add_customershare"

    def get(self, request):
        rows = [
            {"username": s.username, "name": s.display_name, "branch": s.branch.name_local if s.branch_id else ""}
            for s in sharing.colleagues(request.user, request.GET.get("q", ""))
        ]
        return JsonResponse({"results": rows})


# --- lists ----------------------------------------------------------------------------------------


class ShareFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("status"), choices=CustomerShare.Status.choices)
    can_edit = django_filters.BooleanFilter(label=gettext_lazy("may edit"))
    customer = django_filters.CharFilter(
        label=gettext_lazy("customer number"), field_name="customer__number", lookup_expr="iexact"
    )

    class Meta:
        model = CustomerShare
        fields = ["status", "can_edit", "customer"]


class ShareTable(BaseTable):
    customer = tables.Column(
        verbose_name=gettext_lazy("customer"),
        order_by=("customer__number",),
        linkify=lambda record: record.customer.get_absolute_url(),
    )
    shared_by = tables.Column(
        verbose_name=gettext_lazy("shared by"), accessor="shared_by__display_name", order_by=("shared_by__username",)
    )
    shared_with = tables.Column(
        verbose_name=gettext_lazy("shared with"), accessor="shared_with__display_name", order_by=("shared_with__username",)
    )
    can_edit = tables.BooleanColumn(verbose_name=gettext_lazy("may edit"))
    expires_at = tables.DateTimeColumn(verbose_name=gettext_lazy("until"), format="Y-m-d H:i")
    status = tables.Column(verbose_name=gettext_lazy("status"))
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("created"), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = CustomerShare
        fields = ("customer", "shared_by", "shared_with", "can_edit", "expires_at", "status", "created_at")

    def render_status(self, record):
        if record.status == CustomerShare.Status.ACTIVE and not record.is_in_force:
            return _("Expired")
        return record.get_status_display()


class SharedByMeTable(ShareTable):
    revoke = tables.Column(verbose_name="", empty_values=(), orderable=False, exclude_from_export=True)

    class Meta(ShareTable.Meta):
        fields = (*ShareTable.Meta.fields, "revoke")

    def render_revoke(self, record):
        if (
            record.revoked_at
            or record.status not in (CustomerShare.Status.ACTIVE, CustomerShare.Status.PENDING)
            or (record.status == CustomerShare.Status.ACTIVE and not record.is_in_force)
        ):
            return ""
        return format_html(
            '<form method="post" action="{}" class="m-0"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button type="submit" class="btn btn-sm btn-outline-danger share-revoke" id="share-revoke-{}">{}</button>'
            "</form>",
            reverse("customers:share_revoke", args=[record.pk]),
            self.csrf_token,
            record.pk,
            _("Revoke"),
        )


class ShareListView(ScopedListView):
    model = CustomerShare
    filterset_class = ShareFilterSet
    select_related = ("customer", "shared_by", "shared_with")


class SharedWithMeView(ShareListView):
    """The customers other managers share with me, while the share is in force."""

    permission_required = "customers.view_customershare"
    table_class = ShareTable
    title = gettext_lazy("Shared with me")
    export_filename = "shared-with-me"

    def get_base_queryset(self):
        return CustomerShare.objects.in_force().filter(shared_with=self.request.user)


class SharedByMeView(ShareListView):
    """The shares I made (every status), with a revoke button while a share counts."""

    permission_required = "customers.view_customershare"
    table_class = SharedByMeTable
    title = gettext_lazy("Shared by me")
    export_filename = "shared-by-me"

    def get_base_queryset(self):
        return CustomerShare.objects.filter(shared_by=self.request.user)

    def get_table(self, **kwargs):
        from django.middleware.csrf import get_token

        table = super().get_table(**kwargs)
        table.csrf_token = get_token(self.request)
        return table


@method_decorator(require_POST, name="dispatch")
class ShareRevokeView(PermissionPageMixin, View):
    permission_required = "customers.change_customershare"

    def post(self, request, pk):
        back = redirect("customers:shared_by_me")
        try:
            share = sharing.revoke_share(pk, request.user, request.POST.get("reason", "")[:1000])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return back
        messages.success(
            request,
            _("The share of %(customer)s with %(name)s was revoked.")
            % {"customer": share.customer, "name": share.shared_with.display_name},
        )
        if request.POST.get("next") == "customer":
            return redirect(f"{share.customer.get_absolute_url()}#section-shares")
        return back


# --- the 360 section ------------------------------------------------------------------------------


def shares_section_context(customer, user):
    """The shares of this customer in force or waiting for approval (one query), and whether the
    user may share or revoke."""
    shares = list(
        CustomerShare.objects.open()
        .filter(customer=customer)
        .select_related("shared_by", "shared_with")
        .order_by("expires_at", "id")[:SHARES_IN_SECTION]
    )
    may_revoke_any = user.has_perm("customers.change_customershare")
    return {
        "shares": [(share, may_revoke_any and sharing.may_revoke(user, _with_customer(share, customer))) for share in shares],
        "may_share": sharing.may_share(user, customer),
    }


def _with_customer(share, customer):
    share.customer = customer  # already loaded: may_revoke reads its manager without a query
    return share


def register_section():
    sections.register(
        "shares",
        gettext_lazy("Shared with colleagues"),
        "customers/sharing/section.html",
        shares_section_context,
        order=90,
        perm="customers.view_customershare",
    )
