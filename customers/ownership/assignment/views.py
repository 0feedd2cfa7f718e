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
from django.db import transaction
from django.db.models import Case, CharField, Exists, IntegerField, OuterRef, Value, When
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST

from customers.master.models import Customer
from customers.master.views import add_errors, visible_customer
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
from customers.ownership.assignment.models import AssignmentChange, AttributionRule
from customers.ownership.assignment.tables import PoolTable
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.lists.views import ScopedListView
from ocrm.pages import AnyPermissionMixin, PermissionPageMixin
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


class ClaimView(PermissionPageMixin, View):
    permission_required = assignment.CLAIM_PERM

    def customer(self, number):
        # Numbers are unique per bank: a superuser who sees several banks gets their own bank's first.
        customer = (
            assignment.claimable_for(self.request.user)
            .filter(number=number)
            .select_related("branch", "primary_manager")
            .order_by(Case(When(bank_id=self.request.user.bank_id, then=Value(0)), default=Value(1), output_field=IntegerField()))
            .first()
        )
        if customer is None:
            raise Http404
        return customer

    def get(self, request, number):
        return self.render_page(self.customer(number), ClaimForm())

    def post(self, request, number):
        customer = self.customer(number)
        form = ClaimForm(request.POST)
        if form.is_valid():
            try:
                claim = assignment.claim(customer, request.user, form.cleaned_data["reason"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request, _("Claim #%(id)s of %(customer)s sent for approval.") % {"id": claim.pk, "customer": customer}
                )
                return redirect("customers:my_assignment_requests")
        return self.render_page(customer, form)

    def render_page(self, customer, form):
        pending = assignment.pending_by_customer([customer.pk]).get(customer.pk, {"transfer": None, "claims": []})
        return render(
            self.request,
            "customers/assignment/claim.html",
            {"customer": customer, "form": form, "pending": pending, "title": _("Claim %(customer)s") % {"customer": customer}},
        )


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
            {"rows": request_rows(page.object_list), "page": page, "title": _("My claims and assignment requests")},
        )


@method_decorator(require_POST, name="dispatch")
class WithdrawView(AnyPermissionMixin, View):
    permissions_any = MAKER_PERMS

    def post(self, request, pk):
        change_request = ChangeRequest.objects.filter(pk=pk, maker=request.user, action__in=assignment.ACTIONS).first()
        if change_request is None:
            raise Http404
        approvals.cancel(pk, request.user, _("Withdrawn by the requester."))
        messages.success(request, _("Request #%(id)s withdrawn.") % {"id": pk})
        return redirect("customers:my_assignment_requests")


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


def _decidable_or_404(user, pk):
    if not ChangeRequest.objects.visible_to(user).filter(pk=pk, action__in=assignment.ACTIONS).exists():
        raise Http404


@method_decorator(require_POST, name="dispatch")
class ApproveView(PermissionPageMixin, View):
    permission_required = assignment.CHECKER_PERM

    def post(self, request, pk):
        _decidable_or_404(request.user, pk)
        form = DecisionForm(request.POST, actor=request.user)
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
            return redirect("customers:assignment_requests")
        try:
            with transaction.atomic():
                if form.cleaned_data.get("to_manager"):
                    assignment.choose_transfer_manager(pk, request.user, form.cleaned_data["to_manager"])
                approvals.approve(pk, request.user, form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Request #%(id)s approved and applied.") % {"id": pk})
        return redirect("customers:assignment_requests")


@method_decorator(require_POST, name="dispatch")
class RejectView(PermissionPageMixin, View):
    permission_required = assignment.CHECKER_PERM

    def post(self, request, pk):
        _decidable_or_404(request.user, pk)
        try:
            approvals.reject(pk, request.user, request.POST.get("reason", ""))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(
                request,
                _("Request #%(id)s was not rejected: %(error)s")
                % {"id": pk, "error": " ".join(getattr(exc, "messages", [str(exc)]))},
            )
        else:
            messages.success(request, _("Request #%(id)s rejected.") % {"id": pk})
        return redirect("customers:assignment_requests")


class ReassignView(PermissionPageMixin, View):
    permission_required = assignment.REASSIGN_PERM

    def get(self, request):
        return self.render_page(ReassignForm(actor=request.user, initial={"numbers": request.GET.get("numbers", "")}))

    def post(self, request):
        form = ReassignForm(request.POST, actor=request.user)
        if form.is_valid():
            try:
                change_request = assignment.reassign(
                    form.customer_ids, form.cleaned_data["to_manager"], request.user, form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Reassignment #%(id)s of %(n)d customer(s) sent for approval.")
                    % {"id": change_request.pk, "n": len(form.customer_ids)},
                )
                return redirect("customers:my_assignment_requests")
        return self.render_page(form)

    def render_page(self, form):
        return render(
            self.request,
            "customers/assignment/form.html",
            {
                "form": form,
                "title": _("Reassign customers"),
                "submit": _("Send for approval"),
                "intro": _("The customers move to the new manager in one action once another supervisor approves."),
            },
        )


class HandoverView(PermissionPageMixin, View):
    permission_required = assignment.REASSIGN_PERM

    def get(self, request):
        return self.render_page(HandoverForm(actor=request.user))

    def post(self, request):
        form = HandoverForm(request.POST, actor=request.user)
        plan = None
        if form.is_valid():
            data = form.cleaned_data
            to_managers = list(data["to_managers"])
            try:
                if "preview" in request.POST:
                    plan = assignment.preview_handover(data["from_manager"], to_managers, data["mode"], request.user)
                else:
                    change_request = assignment.hand_over(
                        data["from_manager"], to_managers, data["mode"], request.user, data["reason"]
                    )
                    messages.success(request, _("Hand-over #%(id)s sent for approval.") % {"id": change_request.pk})
                    return redirect("customers:my_assignment_requests")
            except ValidationError as exc:
                add_errors(form, exc)
        return self.render_page(form, plan)

    def render_page(self, form, plan=None):
        preview = None
        if plan is not None:
            people = Staff.objects.in_bulk(list(plan.totals))
            preview = {
                "count": plan.count,
                "aum": plan.aum,
                "rows": [(people[m], count, aum) for m, (count, aum) in plan.totals.items()],
            }
        return render(
            self.request,
            "customers/assignment/handover.html",
            {"form": form, "preview": preview, "title": _("Hand over a manager's book")},
        )


class TransferView(PermissionPageMixin, View):
    permission_required = assignment.TRANSFER_PERM

    def get(self, request, number):
        customer = visible_customer(request.user, number)
        return self.render_page(customer, TransferForm(customer=customer))

    def post(self, request, number):
        customer = visible_customer(request.user, number)
        form = TransferForm(request.POST, customer=customer)
        if form.is_valid():
            try:
                change_request = assignment.propose_transfer(
                    customer, form.cleaned_data["to_branch"], request.user, form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request, _("Transfer #%(id)s proposed; the receiving branch decides.") % {"id": change_request.pk}
                )
                return redirect(customer.get_absolute_url())
        return self.render_page(customer, form)

    def render_page(self, customer, form):
        return render(
            self.request,
            "customers/assignment/transfer.html",
            {
                "customer": customer,
                "form": form,
                "transfer": assignment.pending_transfer(customer),
                "title": _("Transfer %(customer)s to another branch") % {"customer": customer},
            },
        )


class AttributionRuleView(PermissionPageMixin, View):
    """The system administrator chooses the bank's rules (audited by the safety net) and
    sees what the nightly job did lately."""

    permission_required = "customers.change_attributionrule"
    RECENT = 50

    def rule(self):
        if not self.request.user.bank_id:
            raise Http404
        return AttributionRule.objects.filter(bank_id=self.request.user.bank_id).first() or AttributionRule(
            bank_id=self.request.user.bank_id
        )

    def get(self, request):
        return self.render_page(AttributionRuleForm(instance=self.rule()))

    def post(self, request):
        form = AttributionRuleForm(request.POST, instance=self.rule())
        if form.is_valid():
            rule = form.save(commit=False)
            rule.updated_by = request.user
            rule.save()
            messages.success(request, _("The attribution rules were saved; the nightly job applies them."))
            return redirect("customers:attribution_rule")
        return self.render_page(form)

    def render_page(self, form):
        recent = (
            AssignmentChange.objects.filter(bank_id=self.request.user.bank_id, kind=AssignmentChange.Kind.ATTRIBUTION)
            .select_related("customer", "to_manager", "from_branch", "to_branch")
            .order_by("-at", "-id")[: self.RECENT]
        )
        return render(
            self.request,
            "customers/assignment/rule.html",
            {"form": form, "recent": recent, "title": _("Customer attribution rules")},
        )
