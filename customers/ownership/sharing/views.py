"""Pages of customer sharing: the share form (from the 360 page), a colleague look-up for it,
"shared with me", "shared by me" (revoke) and the 360 section listing the shares in force.
Thin views: customers come from Customer.objects.visible_to(user), shares from
CustomerShare.objects.visible_to(user) (404 outside the scope); the work is done by
customers.ownership.sharing.services."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from customers.master.views import CustomerRouteMixin
from customers.ownership.sharing import services as sharing
from customers.ownership.sharing.filtersets import ShareFilterSet
from customers.ownership.sharing.forms import ShareForm
from customers.ownership.sharing.models import CustomerShare
from customers.ownership.sharing.tables import SharedByMeTable, ShareTable
from customers.profile.views import PROFILE_RELATED
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView

DEFAULT_SHARE_DAYS = 14


def shares_section(customer):
    return f"{customer.get_absolute_url()}#section-shares"


class ShareCreateView(CustomerRouteMixin, ServiceFormView):
    permission_required = ("customers.view_customer", "customers.add_customershare")
    customer_related = PROFILE_RELATED
    form_class = ShareForm
    template_name = "customers/sharing/share_form.html"
    renamed_fields = {"expires_at": "expires_on"}

    def check_object(self, customer):
        if not sharing.may_share(self.request.user, customer):
            raise PermissionDenied(_("Only the customer's manager or a supervisor may share this customer."))

    def get_form_kwargs(self):
        return {
            "initial": {"expires_on": timezone.localdate() + datetime.timedelta(days=DEFAULT_SHARE_DAYS)},
            **super().get_form_kwargs(),
        }

    def perform(self, form):
        data = form.cleaned_data
        return sharing.share_with_colleague(
            self.customer,
            self.request.user,
            data["shared_with"],
            can_edit=data["can_edit"],
            expires_at=form.expires_at(),
            reason=data["reason"],
        )

    def get_success_message(self, share):
        if share.status == CustomerShare.Status.PENDING:
            return _("The share with %(name)s waits for a supervisor's approval (request #%(id)s).") % {
                "name": share.shared_with.display_name,
                "id": share.change_request_id,
            }
        return _("%(customer)s is now shared with %(name)s.") % {
            "customer": self.customer,
            "name": share.shared_with.display_name,
        }

    def get_success_level(self, share):
        return messages.INFO if share.status == CustomerShare.Status.PENDING else messages.SUCCESS

    def get_success_url(self, share):
        return shares_section(self.customer)

    def get_title(self):
        return _("Share %(customer)s") % {"customer": self.customer}

    def get_context_data(self, **kwargs):
        return super().get_context_data(customer=self.customer, back_url=shares_section(self.customer), **kwargs)


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
        table = super().get_table(**kwargs)
        table.csrf_token = get_token(self.request)
        return table


class ShareRevokeView(ServiceActionView):
    permission_required = "customers.change_customershare"
    model = CustomerShare
    error_url = "customers:shared_by_me"

    def perform(self):
        return sharing.revoke_share(self.object.pk, self.request.user, self.request.POST.get("reason", "")[:1000])

    def get_success_message(self, share):
        return _("The share of %(customer)s with %(name)s was revoked.") % {
            "customer": share.customer,
            "name": share.shared_with.display_name,
        }

    def get_success_url(self, share):
        if self.request.POST.get("next") == "customer":
            return shares_section(share.customer)
        return reverse("customers:shared_by_me")
