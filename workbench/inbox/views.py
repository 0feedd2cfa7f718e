"""The approvals inbox and the maker's "My requests" (thin views over workbench.services and
ocrm.approvals.services)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.errors import NotVisible
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView
from workbench.inbox import services
from workbench.inbox.filtersets import InboxFilterSet, MyRequestsFilterSet
from workbench.inbox.tables import InboxTable, MyRequestsTable, action_label


class InboxAccessMixin(PermissionPageMixin):
    """Open to anyone who may decide something (services.may_use_inbox); others get 403."""

    def has_permission(self):
        return services.may_use_inbox(self.request.user)


def page_of(url_name):
    """The page a source registered, or none (its app may draw no page here)."""
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return ""


class InboxView(InboxAccessMixin, ScopedListView):
    model = ChangeRequest
    table_class = InboxTable
    filterset_class = InboxFilterSet
    template_name = "workbench/inbox.html"
    title = gettext_lazy("Approvals")
    export_filename = "approvals"

    def get_queryset(self):
        return services.pending_requests(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sources"] = [{**row, "url": page_of(row["url_name"])} for row in services.other_sources(self.request.user)]
        context["bulk_limit"] = services.BULK_LIMIT
        return context


class InboxActionView(InboxAccessMixin, ServiceActionView):
    """A decision taken in the inbox; back to the inbox (or to the page in `next`, on this site)."""

    def get_success_url(self, result):
        target = self.request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, {self.request.get_host()}, self.request.is_secure()):
            return target
        return reverse("workbench:inbox")


class BulkApproveView(InboxActionView):
    """Approve the selected requests (or the one whose button was pressed), each on its own."""

    def perform(self):
        post = self.request.POST
        raw = [post["only"]] if post.get("only") else post.getlist("selected")
        try:
            ids = list(dict.fromkeys(int(value) for value in raw))
        except ValueError:
            ids = []
        return services.approve_many(ids, self.request.user)

    def succeeded(self, result):
        approved, failed = result
        if approved:
            messages.success(self.request, _("Approved and applied: %(ids)s.") % {"ids": ", ".join(f"#{pk}" for pk in approved)})
        for pk, reason in failed:
            messages.error(self.request, _("#%(id)s was not approved: %(reason)s") % {"id": pk, "reason": reason})
        return redirect(self.get_success_url(result))


class RejectView(InboxActionView):
    model = ChangeRequest

    def perform(self):
        return approvals.reject(self.object.pk, self.request.user, self.request.POST.get("reason", "").strip()[:2000])

    def get_error_messages(self, error):
        [reason] = super().get_error_messages(error)
        return [_("#%(id)s was not rejected: %(reason)s") % {"id": self.object.pk, "reason": reason}]

    def get_success_message(self, change_request):
        return _("#%(id)s rejected.") % {"id": change_request.pk}


class RequestDetailView(LoginRequiredMixin, View):
    """One request: what it changes, who asked and why, and the decision buttons when the
    user may decide it. Its maker and the checkers of its branches see it; others get 404."""

    def get(self, request, pk):
        change_request = ChangeRequest.objects.visible_to(request.user).select_related("maker", "checker").filter(pk=pk).first()
        if change_request is None:
            raise NotVisible
        decidable = approvals.pending_for_checker(request.user).filter(pk=pk).exists()
        table = InboxTable([change_request])
        return render(
            request,
            "workbench/request_detail.html",
            {
                "request_obj": change_request,
                "label": action_label(change_request.action),
                "changes": table._changes(change_request),
                "decidable": decidable,
                "own": change_request.maker_id == request.user.pk,
                "customer_number": services.customer_number(change_request, request.user),
                "inbox_url": reverse("workbench:inbox"),
            },
        )


class OwnRequestsMixin(PermissionPageMixin):
    """Every signed-in person lists and withdraws only what they submitted themselves."""

    def has_permission(self):
        return self.request.user.is_authenticated


class MyRequestsView(OwnRequestsMixin, ScopedListView):
    model = ChangeRequest
    table_class = MyRequestsTable
    filterset_class = MyRequestsFilterSet
    title = gettext_lazy("My requests")
    export_filename = "my-requests"

    def get_queryset(self):
        return services.my_requests(self.request.user)

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        table.request = self.request  # the withdraw buttons' forms carry the CSRF token
        return table


class WithdrawView(OwnRequestsMixin, ServiceActionView):
    """The maker takes back a pending request of any kind (another's is a 404)."""

    success_url = "workbench:my_requests"

    def perform(self):
        return approvals.withdraw(self.kwargs["pk"], self.request.user)

    def get_success_message(self, change_request):
        return _("Request #%(id)s withdrawn.") % {"id": change_request.pk}
