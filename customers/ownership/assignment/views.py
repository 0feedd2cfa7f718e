"""Pages of the assignment area: the branch pool and claims, the maker's own requests, the
checker's assignment requests, reassignment, hand-over, branch transfer and the bank's
attribution rule. Thin: every action is one call into customers.ownership.assignment.services; pending
requests also appear in the approvals inbox (ocrm.approvals.services.pending_for_checker).

Scope: a manager's pool is the unassigned customers of their own branch (their data
scope alone shows only their own customers); supervisors see the unassigned customers of
their subtree. A customer or request outside that answers 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from customers.master import services as master
from customers.master.models import Customer
from customers.master.views import CustomerRouteMixin
from customers.ownership.assignment import services as assignment
from customers.ownership.assignment.filtersets import PoolFilterSet
from customers.ownership.assignment.forms import (
    AttributionRuleForm,
    ClaimForm,
    DecisionForm,
    HandoverForm,
    ReassignForm,
    TransferForm,
)
from customers.ownership.assignment.models import AssignmentChange
from customers.ownership.assignment.tables import PoolTable
from ocrm.approvals import inbox
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.lists.views import ScopedListView
from ocrm.pages import AnyPermissionMixin, PermissionPageMixin, ServiceActionView, ServiceFormView, add_errors
from sysadmin.org.models import Staff

REQUESTS_PER_PAGE = 25


MAKER_PERMS = (assignment.CLAIM_PERM, assignment.REASSIGN_PERM, assignment.TRANSFER_PERM)


def _pending(action):
    return ChangeRequest.objects.pending().filter(
        action=action, object_type=assignment.CUSTOMER_TYPE, object_id=Cast(OuterRef("pk"), CharField())
    )


class PoolListView(AnyPermissionMixin, ScopedListView):
    model = Customer
    table_class = PoolTable
    filterset_class = PoolFilterSet
    permissions_any = (assignment.CLAIM_PERM, assignment.REASSIGN_PERM)
    title = gettext_lazy("Unassigned customers (branch pool)")
    export_filename = "customer-pool"

    def get_queryset(self):
        return (
            assignment.pool_for(self.request.user)
            .select_related("branch")
            .annotate(
                transfer_pending=Exists(_pending(assignment.ACTION_TRANSFER)),
                claim_pending=Exists(_pending(assignment.ACTION_CLAIM).filter(maker=self.request.user)),
            )
            .order_by("branch__path", "number")
        )

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        if not self.request.user.has_perm(assignment.CLAIM_PERM):
            table.columns.hide("claim")
        return table


class ClaimView(ServiceFormView):
    permission_required = assignment.CLAIM_PERM
    form_class = ClaimForm
    template_name = "customers/assignment/claim.html"
    success_url = "customers:my_assignment_requests"

    def get_object(self):
        # The claim page also opens customers of the manager's branch pool, beyond their scope.
        user = self.request.user
        return master.customer_by_number(
            user, self.kwargs["number"], queryset=assignment.claimable_for(user), select_related=("branch", "primary_manager")
        ).customer

    def perform(self, form):
        return assignment.claim(self.object, self.request.user, form.cleaned_data["reason"])

    def get_success_message(self, claim):
        return _("Claim #%(id)s of %(customer)s sent for approval.") % {"id": claim.pk, "customer": self.object}

    def get_title(self):
        return _("Claim %(customer)s") % {"customer": self.object}

    def get_context_data(self, **kwargs):
        customer = self.object
        pending = assignment.pending_by_customer([customer.pk]).get(customer.pk, {"transfer": None, "claims": []})
        return super().get_context_data(customer=customer, pending=pending, **kwargs)


def request_rows(requests):
    return [{"request": r, "label": approvals.registered_actions()[r.action].label} for r in requests]


class MyRequestsView(AnyPermissionMixin, View):
    permissions_any = MAKER_PERMS

    def get(self, request):
        qs = (
            ChangeRequest.objects.filter(maker=request.user, action__in=assignment.ACTIONS)
            .select_related("checker")
            .order_by("-created_at", "-id")
        )
        page = Paginator(qs, REQUESTS_PER_PAGE).get_page(request.GET.get("page"))
        return render(
            request,
            "customers/assignment/my_requests.html",
            {
                "rows": request_rows(page.object_list),
                "page": page,
                "title": _("My claims and assignment requests"),
                "all_requests_url": inbox.own_page_url(),
            },
        )


class WithdrawView(AnyPermissionMixin, ServiceActionView):
    permissions_any = MAKER_PERMS
    success_url = "customers:my_assignment_requests"

    def perform(self):
        return assignment.withdraw(self.kwargs["pk"], self.request.user)

    def get_success_message(self, change_request):
        return _("Request #%(id)s withdrawn.") % {"id": change_request.pk}


class DecideListView(PermissionPageMixin, View):
    """The checker's list of pending assignment requests (they also reach the approvals inbox)."""

    permission_required = assignment.CHECKER_PERM

    def get(self, request):
        qs = (
            ChangeRequest.objects.visible_to(request.user)
            .pending()
            .filter(action__in=assignment.ACTIONS)
            .select_related("maker")
            .order_by("created_at", "id")
        )
        page = Paginator(qs, REQUESTS_PER_PAGE).get_page(request.GET.get("page"))
        rows = request_rows(page.object_list)
        for row in rows:
            row["own"] = row["request"].maker_id == request.user.pk
            row["is_transfer"] = row["request"].action == assignment.ACTION_TRANSFER
        return render(
            request,
            "customers/assignment/decide.html",
            {"rows": rows, "page": page, "form": DecisionForm(actor=request.user), "title": _("Assignment requests to decide")},
        )


class DecisionView(ServiceActionView):
    """A checker's button on an assignment request of their scope (else 404)."""

    permission_required = assignment.CHECKER_PERM
    model = ChangeRequest
    refusals = (ValidationError, PermissionDenied)
    success_url = "customers:assignment_requests"

    def get_queryset(self):
        return super().get_queryset().filter(action__in=assignment.ACTIONS)


class ApproveView(DecisionView):
    form_class = DecisionForm

    def get_form_kwargs(self):
        return {"actor": self.request.user}

    def form_invalid(self, form):
        messages.error(self.request, " ".join(e for errors in form.errors.values() for e in errors))

    def perform(self):
        data = self.form.cleaned_data
        return assignment.approve_request(self.object.pk, self.request.user, data["reason"], data.get("to_manager"))

    def get_success_message(self, change_request):
        return _("Request #%(id)s approved and applied.") % {"id": change_request.pk}


class RejectView(DecisionView):
    def perform(self):
        return approvals.reject(self.object.pk, self.request.user, self.request.POST.get("reason", ""))

    def get_error_messages(self, error):
        [reason] = super().get_error_messages(error)
        return [_("Request #%(id)s was not rejected: %(error)s") % {"id": self.object.pk, "error": reason}]

    def get_success_message(self, change_request):
        return _("Request #%(id)s rejected.") % {"id": change_request.pk}


class ReassignView(ServiceFormView):
    permission_required = assignment.REASSIGN_PERM
    form_class = ReassignForm
    template_name = "customers/assignment/form.html"
    title = gettext_lazy("Reassign customers")
    success_url = "customers:my_assignment_requests"

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "actor": self.request.user}
        if self.request.method == "GET":
            kwargs["initial"] = {"numbers": self.request.GET.get("numbers", "")}
        return kwargs

    def perform(self, form):
        data = form.cleaned_data
        return assignment.reassign(form.customer_ids, data["to_manager"], self.request.user, data["reason"])

    def get_success_message(self, change_request):
        return _("Reassignment #%(id)s of %(n)d customer(s) sent for approval.") % {
            "id": change_request.pk,
            "n": len(self.form.customer_ids),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            submit=_("Send for approval"),
            intro=_("The customers move to the new manager in one action once another supervisor approves."),
            **kwargs,
        )


class HandoverView(ServiceFormView):
    """The preview button shows how the book would be split now; the other one sends it for approval."""

    permission_required = assignment.REASSIGN_PERM
    form_class = HandoverForm
    template_name = "customers/assignment/handover.html"
    title = gettext_lazy("Hand over a manager's book")
    success_url = "customers:my_assignment_requests"
    plan = None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}

    def form_valid(self, form):
        if "preview" not in self.request.POST:
            return super().form_valid(form)
        data = form.cleaned_data
        try:
            self.plan = assignment.preview_handover(
                data["from_manager"], list(data["to_managers"]), data["mode"], self.request.user
            )
        except ValidationError as error:
            add_errors(form, error)
        return self.render_form(form)

    def perform(self, form):
        data = form.cleaned_data
        return assignment.hand_over(
            data["from_manager"], list(data["to_managers"]), data["mode"], self.request.user, data["reason"]
        )

    def get_success_message(self, change_request):
        return _("Hand-over #%(id)s sent for approval.") % {"id": change_request.pk}

    def get_context_data(self, **kwargs):
        preview = None
        if self.plan is not None:
            people = Staff.objects.in_bulk(list(self.plan.totals))
            preview = {
                "count": self.plan.count,
                "aum": self.plan.aum,
                "rows": [(people[m], count, aum) for m, (count, aum) in self.plan.totals.items()],
            }
        return super().get_context_data(preview=preview, **kwargs)


class TransferView(CustomerRouteMixin, ServiceFormView):
    permission_required = assignment.TRANSFER_PERM
    edits_customer = True
    form_class = TransferForm
    template_name = "customers/assignment/transfer.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "customer": self.customer}

    def perform(self, form):
        data = form.cleaned_data
        return assignment.propose_transfer(self.customer, data["to_branch"], self.request.user, data["reason"])

    def get_success_message(self, change_request):
        return _("Transfer #%(id)s proposed; the receiving branch decides.") % {"id": change_request.pk}

    def get_success_url(self, change_request):
        return self.customer.get_absolute_url()

    def get_title(self):
        return _("Transfer %(customer)s to another branch") % {"customer": self.customer}

    def get_context_data(self, **kwargs):
        return super().get_context_data(customer=self.customer, transfer=assignment.pending_transfer(self.customer), **kwargs)


class AttributionRuleView(ServiceFormView):
    """The system administrator chooses the bank's rules (audited by the safety net) and
    sees what the nightly job did lately."""

    permission_required = "customers.change_attributionrule"
    form_class = AttributionRuleForm
    template_name = "customers/assignment/rule.html"
    title = gettext_lazy("Customer attribution rules")
    success_message = gettext_lazy("The attribution rules were saved; the nightly job applies them.")
    success_url = "customers:attribution_rule"
    RECENT = 50

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": assignment.attribution_rule_of(self.request.user)}

    def perform(self, form):
        return assignment.save_attribution_rule(self.request.user, form.cleaned_data)

    def get_context_data(self, **kwargs):
        recent = (
            AssignmentChange.objects.filter(bank_id=self.request.user.bank_id, kind=AssignmentChange.Kind.ATTRIBUTION)
            .select_related("customer", "to_manager", "from_branch", "to_branch")
            .order_by("-at", "-id")[: self.RECENT]
        )
        return super().get_context_data(recent=recent, **kwargs)
