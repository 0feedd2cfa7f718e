"""Profit-sharing pages (thin views over crossborder.profitsharing.services): the statements list, a
statement's lines (a branch supervisor sees their subtree's), each side's approval request; the
rules list, a rule's form (maker), its submission for a checker, and its simulation."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from crossborder.profitsharing import feed, services, simulation
from crossborder.profitsharing.filtersets import FeedUploadFilterSet, RuleFilterSet, StatementFilterSet, StatementLineFilterSet
from crossborder.profitsharing.forms import FeedUploadForm, RuleForm, ShareFormSet, SimulationForm, share_initial
from crossborder.profitsharing.models import ProfitShareRule, ProfitStatement, ProfitStatementLine, RevenueFeedUpload, Side
from crossborder.profitsharing.tables import FeedUploadTable, RuleTable, StatementLineTable, StatementTable
from ocrm.batch.tables import POLL_SECONDS, progress_bar
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView, add_errors

VIEW_PERM = "crossborder.view_profitstatement"


class StatementListView(ScopedListView):
    model = ProfitStatement
    table_class = StatementTable
    filterset_class = StatementFilterSet
    permission_required = VIEW_PERM
    title = gettext_lazy("Profit statements")
    export_filename = "profit-statements"
    select_related = ("bank", "counterpart")


class StatementDetailView(ScopedListView):
    """The statement's lines the user may see; outside the user's scope: 404."""

    model = ProfitStatementLine
    table_class = StatementLineTable
    filterset_class = StatementLineFilterSet
    permission_required = VIEW_PERM
    template_name = "crossborder/profitsharing/statement.html"
    export_filename = "profit-statement"

    def statement(self):
        if not hasattr(self, "_statement"):
            visible = ProfitStatement.objects.visible_to(self.request.user).select_related("bank", "counterpart")
            self._statement = get_object_or_404(visible, pk=self.kwargs["pk"])
        return self._statement

    def get_queryset(self):
        return (
            services.visible_lines(self.request.user, self.statement())
            .select_related("event", "branch")
            .order_by("event__booked_on", "event_id", "position")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        statement = self.statement()
        user = self.request.user
        context["statement"] = statement
        context["title"] = _("Profit statement %(month)s") % {"month": f"{statement.period:%Y-%m}"}
        context["approvable_sides"] = [
            (value, label)
            for value, label in Side.choices
            if not getattr(statement, f"{value}_approved_at")
            and statement.status == ProfitStatement.Status.OPEN
            and user.bank_id == (statement.bank_id if value == Side.ORIGINATING else statement.counterpart_id)
            and user.has_perm("crossborder.view_profitstatement")
        ]
        return context


class RequestApprovalView(ServiceActionView):
    model = ProfitStatement
    permission_required = VIEW_PERM
    success_message = gettext_lazy("The approval was requested; a checker of your bank decides.")

    def perform(self):
        return services.submit_statement_approval(self.object.pk, self.request.POST.get("side", ""), self.request.user)

    def get_success_url(self, result):
        return reverse("crossborder:profit_statement", args=[self.object.pk])


# --- rules: list, create, edit (an active rule is changed as a new draft), submit, simulate ----

RULE_VIEW_PERM = "crossborder.view_profitsharerule"


class RuleListView(ScopedListView):
    model = ProfitShareRule
    table_class = RuleTable
    filterset_class = RuleFilterSet
    permission_required = RULE_VIEW_PERM
    title = gettext_lazy("Profit-sharing rules")
    export_filename = "profit-sharing-rules"
    create_url = "crossborder:profit_rule_create"
    create_perm = "crossborder.add_profitsharerule"


class RuleFormView(PermissionPageMixin, View):
    """New rule (no pk) or a rule's change: a draft is changed in place; an active or pending rule
    is copied into a new draft (it stays as it is until the copy is approved)."""

    template_name = "crossborder/profitsharing/rule_form.html"

    def get_permission_required(self):
        return ("crossborder.change_profitsharerule",) if "pk" in self.kwargs else ("crossborder.add_profitsharerule",)

    def original(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(ProfitShareRule.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def forms(self, original, data=None):
        bank_id = original.bank_id if original else self.request.user.bank_id
        if data is None:
            form = RuleForm(instance=original)
            shares = ShareFormSet(initial=share_initial(original), form_kwargs={"bank_id": bank_id}, prefix="shares")
        else:
            draft = original is not None and original.status == ProfitShareRule.Status.DRAFT
            form = RuleForm(data, instance=original if draft else ProfitShareRule(bank_id=bank_id))
            shares = ShareFormSet(data, form_kwargs={"bank_id": bank_id}, prefix="shares")
        return form, shares

    def render(self, original, form, shares, share_errors=()):
        copying = original is not None and original.status != ProfitShareRule.Status.DRAFT
        if original is None:
            title = _("New profit-sharing rule")
        else:
            title = _("Change the rule %(name)s") % {"name": original.name}
        context = {
            "title": title,
            "form": form,
            "shares": shares,
            "share_errors": share_errors,
            "original": original,
            "copying": copying,
        }
        return render(self.request, self.template_name, context)

    def get(self, request, pk=None):
        original = self.original()
        if original is None and not request.user.bank_id:
            raise PermissionDenied(_("Only staff of a bank keep its rules."))
        return self.render(original, *self.forms(original))

    def post(self, request, pk=None):
        original = self.original()
        if original is None and not request.user.bank_id:
            raise PermissionDenied(_("Only staff of a bank keep its rules."))
        form, shares = self.forms(original, request.POST)
        if not (form.is_valid() & shares.is_valid()):
            return self.render(original, form, shares)
        rule = form.save(commit=False)
        rule_shares = [row.as_share() for row in shares if not row.is_blank()]
        try:
            rule = services.save_rule(rule, rule_shares, request.user)
        except ValidationError as error:
            share_errors = error.message_dict.pop("shares", []) if hasattr(error, "error_dict") else []
            rest = {k: v for k, v in error.message_dict.items() if k != "shares"} if hasattr(error, "error_dict") else None
            if rest:
                add_errors(form, ValidationError(rest))
            elif not hasattr(error, "error_dict"):
                form.add_error(None, error)
            return self.render(original, form, shares, share_errors)
        messages.success(request, _("The rule was saved as a draft; submit it for approval to activate it."))
        return redirect("crossborder:profit_rule", rule.pk)


class RuleDetailView(PermissionPageMixin, View):
    """The rule, its shares and the simulation (GET: an amount and/or a month; nothing written)."""

    permission_required = RULE_VIEW_PERM
    template_name = "crossborder/profitsharing/rule.html"

    def get(self, request, pk):
        rule = get_object_or_404(ProfitShareRule.objects.visible_to(request.user).select_related("bank", "change_request"), pk=pk)
        shares = simulation.shares_of(rule)
        form = SimulationForm(request.GET or None)
        split, month, period = None, None, None
        if form.is_bound and form.is_valid():
            amount = form.cleaned_data.get("amount")
            if amount is not None:
                split = simulation.split_amount(rule, int(round(amount * 100)), shares)
            period = form.cleaned_data.get("period")
            if period is not None:
                try:
                    month = simulation.split_month(rule, period, shares)
                except services.StatementError as error:
                    form.add_error("period", str(error))
        elif not form.is_bound:
            first = timezone.localdate().replace(day=1)
            form = SimulationForm(initial={"period": (first - datetime.timedelta(days=1)).replace(day=1)})
        user = request.user
        context = {
            "title": rule.name,
            "rule": rule,
            "shares": shares,
            "form": form,
            "split": split,
            "month": month,
            "period": period,
            "may_change": user.has_perm("crossborder.change_profitsharerule"),
            "may_submit": user.has_perm("crossborder.change_profitsharerule") and rule.status == ProfitShareRule.Status.DRAFT,
        }
        return render(request, self.template_name, context)


class RuleSubmitView(ServiceActionView):
    model = ProfitShareRule
    permission_required = "crossborder.change_profitsharerule"
    success_message = gettext_lazy("The rule waits for a checker of your bank (approvals inbox).")

    def perform(self):
        return services.submit_rule_activation(self.object.pk, self.request.user)

    def get_success_url(self, result):
        return reverse("crossborder:profit_rule", args=[self.object.pk])


# --- the revenue feed upload ------------------------------------------------------------------


class FeedUploadListView(ScopedListView):
    """The revenue feed files uploaded on the page (the bank's to a bank-wide user)."""

    model = RevenueFeedUpload
    table_class = FeedUploadTable
    filterset_class = FeedUploadFilterSet
    permission_required = feed.UPLOAD_PERMISSION
    title = gettext_lazy("Revenue feed uploads")
    export_filename = "revenue-feed-uploads"
    select_related = ("uploaded_by",)
    create_url = "crossborder:revenue_feed_upload"


class FeedUploadView(PermissionPageMixin, View):
    """GET the form and the columns; POST a file: loaded at once when small, else by a worker."""

    permission_required = feed.UPLOAD_PERMISSION
    template_name = "crossborder/profitsharing/feed_upload.html"

    def get(self, request):
        return self.render(FeedUploadForm())

    def render(self, form):
        context = {"title": _("Upload a revenue feed file"), "form": form, "columns": feed.SPEC.columns}
        return render(self.request, self.template_name, context)

    def post(self, request):
        form = FeedUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(form)
        try:
            item = feed.upload(request.user, form.cleaned_data["file"])
        except ValidationError as error:
            add_errors(form, error)
            return self.render(form)
        if item.status == RevenueFeedUpload.Status.LOADED:
            messages.success(request, _("The file was loaded: %(n)d revenue events.") % {"n": item.loaded})
        elif item.status == RevenueFeedUpload.Status.REJECTED:
            messages.error(request, _("The file was rejected: nothing was loaded. The errors are listed below."))
        else:
            messages.info(request, _("The file is being loaded in the background; this page follows it."))
        return redirect("crossborder:revenue_feed_upload_detail", item.pk)


class FeedUploadDetailView(PermissionPageMixin, View):
    """One upload: its outcome, the worker's progress while it loads (htmx, ?part=progress), the
    errors naming row and field when it was rejected."""

    permission_required = feed.UPLOAD_PERMISSION
    template_name = "crossborder/profitsharing/feed_upload_detail.html"

    def get(self, request, pk):
        item = get_object_or_404(
            RevenueFeedUpload.objects.visible_to(request.user).select_related("uploaded_by", "job_run"), pk=pk
        )
        run = item.job_run
        loading = item.status == RevenueFeedUpload.Status.QUEUED
        labels = {column.key: column.label for column in feed.SPEC.columns}
        context = {
            "title": item.original_name,
            "item": item,
            "loading": loading,
            "poll_seconds": POLL_SECONDS,
            "progress_html": progress_bar(run) if run is not None else "",
            "run_failed": run is not None and run.status == run.Status.FAILED,
            "errors": [{**error, "label": labels.get(error["field"], error["field"])} for error in item.errors],
        }
        if request.GET.get("part") == "progress":
            response = render(request, "crossborder/profitsharing/_feed_progress.html", context)
            if not loading or context["run_failed"]:
                response["HX-Refresh"] = "true"  # finished: reload once for the outcome
            return response
        return render(request, self.template_name, context)
