"""Pages of customer sharing: the share form (from the 360 page), a colleague look-up for it,
"shared with me", "shared by me" (revoke) and the 360 section listing the shares in force.
Thin views: customers come from Customer.objects.visible_to(user), shares from
CustomerShare.objects.visible_to(user) (404 outside the scope); the work is done by
customers.ownership.sharing.services."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST

from customers.master.views import add_errors
from customers.ownership.sharing import services as sharing
from customers.ownership.sharing.filtersets import ShareFilterSet
from customers.ownership.sharing.forms import ShareForm
from customers.ownership.sharing.models import CustomerShare
from customers.ownership.sharing.tables import SharedByMeTable, ShareTable
from customers.profile.views import CustomerRouteMixin
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin


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
