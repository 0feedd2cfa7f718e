"""Profit statements pages (thin views over crossborder.profitsharing.services): the list, a
statement's lines (a branch supervisor sees their subtree's), and each side's approval request."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crossborder.profitsharing import services
from crossborder.profitsharing.filtersets import StatementFilterSet, StatementLineFilterSet
from crossborder.profitsharing.models import ProfitStatement, ProfitStatementLine, Side
from crossborder.profitsharing.tables import StatementLineTable, StatementTable
from ocrm.lists.views import ScopedListView
from ocrm.pages import ServiceActionView

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
