"""The approvals inbox (thin views over workbench.services and ocrm.approvals.services)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST

from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin
from workbench import services
from workbench.filtersets import InboxFilterSet
from workbench.tables import InboxTable, action_label


class InboxAccessMixin(PermissionPageMixin):
    """Open to anyone who may decide something (services.may_use_inbox); others get 403."""

    def has_permission(self):
        return services.may_use_inbox(self.request.user)


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
        context["sources"] = services.other_sources(self.request.user)
        context["bulk_limit"] = services.BULK_LIMIT
        return context


def back_to_inbox(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("workbench:inbox")


@method_decorator(require_POST, name="dispatch")
class BulkApproveView(InboxAccessMixin, View):
    """Approve the selected requests (or the one whose button was pressed), each on its own."""

    def post(self, request):
        raw = [request.POST["only"]] if request.POST.get("only") else request.POST.getlist("selected")
        try:
            ids = list(dict.fromkeys(int(value) for value in raw))
        except ValueError:
            ids = []
        if not ids:
            messages.error(request, _("Select at least one request."))
            return back_to_inbox(request)
        if len(ids) > services.BULK_LIMIT:
            messages.error(
                request, _("Nothing was approved: select at most %(n)d requests at a time.") % {"n": services.BULK_LIMIT}
            )
            return back_to_inbox(request)
        approved, failed = services.approve_many(ids, request.user)
        if approved:
            messages.success(request, _("Approved and applied: %(ids)s.") % {"ids": ", ".join(f"#{pk}" for pk in approved)})
        for pk, reason in failed:
            messages.error(request, _("#%(id)s was not approved: %(reason)s") % {"id": pk, "reason": reason})
        return back_to_inbox(request)


@method_decorator(require_POST, name="dispatch")
class RejectView(InboxAccessMixin, View):
    def post(self, request, pk):
        if not ChangeRequest.objects.visible_to(request.user).filter(pk=pk).exists():
            raise Http404
        reason = request.POST.get("reason", "").strip()[:2000]
        try:
            approvals.reject(pk, request.user, reason)
        except ValidationError as exc:
            messages.error(request, _("#%(id)s was not rejected: %(reason)s") % {"id": pk, "reason": " ".join(exc.messages)})
        else:
            messages.success(request, _("#%(id)s rejected.") % {"id": pk})
        return back_to_inbox(request)


class RequestDetailView(LoginRequiredMixin, View):
    """One request: what it changes, who asked and why, and the decision buttons when the
    user may decide it. Its maker and the checkers of its branches see it; others get 404."""

    def get(self, request, pk):
        change_request = ChangeRequest.objects.visible_to(request.user).select_related("maker", "checker").filter(pk=pk).first()
        if change_request is None:
            raise Http404
        decidable = approvals.pending_for_checker(request.user).filter(pk=pk).exists()
        table = InboxTable([change_request])
        customer_number = None
        if change_request.object_type == services.CUSTOMER and change_request.object_id.isdigit():
            from customers.master.models import Customer

            customer_number = (
                Customer.objects.visible_to(request.user)
                .filter(pk=int(change_request.object_id))
                .values_list("number", flat=True)
                .first()
            )
        return render(
            request,
            "workbench/request_detail.html",
            {
                "request_obj": change_request,
                "label": action_label(change_request.action),
                "changes": table._changes(change_request),
                "decidable": decidable,
                "own": change_request.maker_id == request.user.pk,
                "customer_number": customer_number,
                "inbox_url": reverse("workbench:inbox"),
            },
        )
