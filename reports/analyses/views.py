"""The ACRM analyses' pages: thin views over pareto, segments, churn and risk.

Every page reads the snapshot of one business date (by default the latest one of the user's
bank) within the user's scope (reports.analyses.scope); a branch filter outside the user's
branches is a 404, and the customers behind a figure come from Customer.objects.visible_to(user).
Lists export XLSX through ocrm.lists (audited: they list customers; customers.export_customers)."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from customers.master.models import Customer
from ocrm import parameters, tenants
from ocrm.errors import NotVisible, messages_of
from ocrm.lists.exports import xlsx_response
from ocrm.pages import PermissionPageMixin
from reports.analyses import churn, markers, pareto, risk, segments, services
from reports.analyses.forms import AnalysisFilterForm, CompareFilterForm, SegmentGroupForm, TopCustomersForm
from reports.analyses.scope import branch_by_code, snapshot_scope
from reports.analyses.sql import larger_work_mem
from sysadmin.org.models import Branch

PER_PAGE = 50
EXPORT_PERMISSION = "customers.export_customers"


def page_number(value):
    try:
        return max(1, min(int(value), 10_000))
    except (TypeError, ValueError):
        return 1


class AnalysisView(PermissionPageMixin, TemplateView):
    permission_required = "reports.view_analyses"
    form_class = AnalysisFilterForm
    title = ""

    def setup_filters(self):
        request = self.request
        self.form = self.form_class(request.GET or None)
        self.form.is_valid()
        data = dict(getattr(self.form, "cleaned_data", {}))  # the valid fields; a bad one is shown as such
        self.branch = branch_by_code(request.user, request.GET.get("branch"))  # NotVisible: 404
        self.scope = snapshot_scope(request.user, self.branch)
        chosen = data.get("date")
        if chosen is None and not self.scope.empty:
            chosen = timezone.now().astimezone(tenants.bank_zone(self.scope.bank_id)).date()
        # The latest snapshot on or before the chosen date (today by default): as of that night;
        # with its marker (the pages ask whether its analyses were precomputed) in one statement.
        self.day = markers.latest_snapshot(self.scope.bank_id, chosen)
        self.data = data

    def get(self, request, *args, **kwargs):
        # The larger work_mem only once a page computes from CustomerDay (sql.sort_in_memory).
        with larger_work_mem(), markers.markers_cached():
            self.setup_filters()
            if request.GET.get("export") == "xlsx" and hasattr(self, "export_rows"):
                return self.export()
            response = super().get(request, *args, **kwargs)
            return response.render() if hasattr(response, "render") else response

    def visible_customers(self):
        return Customer.objects.visible_to(self.request.user).active()

    def may_export(self):
        return self.request.user.has_perm(EXPORT_PERMISSION)

    def export(self):
        if not self.may_export():
            raise PermissionDenied(_("You may not export this list."))
        cap = parameters.get("export.max_rows", self.request.user.bank_id)
        rows = self.export_rows(cap + 1)
        if len(rows) > cap + 1:  # header + cap rows
            messages.error(self.request, _("This export would hold more than %(cap)d rows. Narrow the filter.") % {"cap": cap})
            query = self.request.GET.copy()
            query.pop("export", None)
            return redirect(f"{self.request.path}?{query.urlencode()}")
        return xlsx_response(rows, filename=self.export_filename, request=self.request, object_type="customers.customer")

    def attach(self, rows):
        """Fill each row's customer and branch with two queries in all."""
        customers = Customer.objects.only("id", "number", "name_local", "name_latin", "branch_id").in_bulk(
            {row.customer_id for row in rows}
        )
        branch_ids = {
            getattr(row, "branch_id", None) or getattr(customers.get(row.customer_id), "branch_id", None) for row in rows
        }
        branches = Branch.objects.only("id", "code", "name_local", "name_en").in_bulk(branch_ids - {None}) if rows else {}
        for row in rows:
            row.customer = customers.get(row.customer_id)
            branch_id = getattr(row, "branch_id", None) or getattr(row.customer, "branch_id", None)
            row.branch = branches.get(branch_id)
        return rows

    def paged(self, fetch):
        """Rows of the current page (fetch(limit, offset)), whether there is a next page."""
        page = page_number(self.request.GET.get("page"))
        rows = fetch(PER_PAGE + 1, (page - 1) * PER_PAGE)
        return self.attach(rows[:PER_PAGE]), page, len(rows) > PER_PAGE

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        for key in ("page", "export"):
            query.pop(key, None)
        return super().get_context_data(
            query=query.urlencode(),
            title=self.title,
            form=self.form,
            day=self.day,
            branch=self.branch,
            may_export=self.may_export() and hasattr(self, "export_rows"),
            **kwargs,
        )


class IndexView(AnalysisView):
    """The catalogue of the analyses."""

    template_name = "reports/analyses/index.html"
    title = gettext_lazy("ACRM analyses")

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(may_risk=user.has_perm("reports.view_credit_risk"), **kwargs)


class ParetoView(AnalysisView):
    """Share of AUM and contribution held by the top 1/5/10/20 % per branch and for the scope, with the curve."""

    template_name = "reports/analyses/pareto.html"
    title = gettext_lazy("Contribution and the 80/20 rule")

    def get_context_data(self, **kwargs):
        groups = pareto.pareto(self.scope, self.day)
        total = groups.pop(pareto.TOTAL, None)
        branches = Branch.objects.only("id", "code", "name_local", "name_en").in_bulk(list(groups))
        rows = []
        for branch_id, group in groups.items():
            group.branch = branches.get(branch_id)
            rows.append(group)
        rows.sort(key=lambda g: (-(g.aum_total or 0), g.branch_id))
        chart = None
        if total is not None:
            points = total.curve()
            chart = {
                "labels": [f"{p[0]}%" for p in points],
                "datasets": [
                    {"label": str(_("Share of AUM")), "data": [p[1] for p in points]},
                    {"label": str(_("Share of contribution")), "data": [p[2] for p in points]},
                    {"label": str(_("Equal shares")), "data": [p[0] for p in points]},
                ],
            }
        return super().get_context_data(total=total, rows=rows, chart=chart, cuts=pareto.CUTS, **kwargs)


class TopCustomersView(AnalysisView):
    """Who the top customers are: the scope's top k % by AUM or contribution, through the customer scope."""

    template_name = "reports/analyses/top_customers.html"
    form_class = TopCustomersForm
    title = gettext_lazy("Top customers")
    export_filename = "top-customers"

    def choice(self):
        return self.data.get("pct") or pareto.CUTS[-1], self.data.get("measure") or "aum"

    def fetch(self, limit, offset):
        pct, measure = self.choice()
        return pareto.top_customer_rows(self.scope, self.day, pct, measure, self.visible_customers(), limit=limit, offset=offset)

    def export_rows(self, cap):
        rows = self.attach(self.fetch(cap, 0))
        header = [_("rank"), _("customer number"), _("name"), _("branch"), _("AUM"), _("contribution"), _("cumulative share")]
        return [header] + [
            [
                row.rank,
                row.customer.number if row.customer else "",
                row.customer.name_local if row.customer else "",
                row.branch.code if row.branch else "",
                row.aum,
                row.contribution,
                row.cumulative_share,
            ]
            for row in rows
        ]

    def get_context_data(self, **kwargs):
        rows, page, has_next = self.paged(self.fetch)
        pct, measure = self.choice()
        return super().get_context_data(rows=rows, page=page, has_next=has_next, pct=pct, measure=measure, **kwargs)


class SegmentsView(AnalysisView):
    """Segment sizes on the date, and the movement between segments since the comparison date."""

    template_name = "reports/analyses/segments.html"
    form_class = CompareFilterForm
    title = gettext_lazy("Customer segments")

    def get_context_data(self, **kwargs):
        compare = None
        if self.day is not None:
            chosen = self.data.get("compare")
            if chosen is None:  # a month earlier by default
                chosen = self.day - datetime.timedelta(days=30)
            compare = churn.snapshot_on_or_before(self.scope.bank_id, min(chosen, self.day - datetime.timedelta(days=1)))
        sizes = segments.segment_sizes(self.scope, self.day)
        move = segments.movement(self.scope, compare, self.day) if compare else segments.Movement([], [], {})
        user = self.request.user
        return super().get_context_data(
            segments=sizes,
            usages=segments.USAGES,
            total=sum(s.customers for s in sizes),
            compare=compare,
            movement=move,
            movement_rows=[(segments.segment_label(key), values) for key, values in move.table()],
            movement_columns=[segments.segment_label(key) for key in move.columns],
            may_group=user.has_perm("customers.add_customergroup"),
            **kwargs,
        )


class SegmentGroupView(PermissionPageMixin, View):
    """POST: the segment becomes the user's dynamic customer group; then the customer list opens it."""

    permission_required = ("reports.view_analyses", "customers.add_customergroup")
    http_method_names = ["post"]

    def post(self, request):
        form = SegmentGroupForm(request.POST)
        back = reverse("reports:analyses_segments")
        if not form.is_valid():
            messages.error(request, _("Name the group and choose a segment."))
            return redirect(back)
        branch = branch_by_code(request.user, form.cleaned_data["branch"])  # NotVisible: 404
        try:
            group = services.create_segment_group(
                request.user, form.cleaned_data["segment"], form.cleaned_data["name"], branch=branch
            )
        except (ValidationError, PermissionDenied) as error:
            for message in messages_of(error):
                messages.error(request, message)
            return redirect(back)
        messages.success(request, _("Dynamic group “%(name)s” saved; campaigns can now target it.") % {"name": group.name})
        return redirect(f"{reverse('customers:list')}?group={group.pk}")


class ChurnView(AnalysisView):
    """The churn warnings of the date (score and signals), the signals' weights and the backtest."""

    template_name = "reports/analyses/churn.html"
    title = gettext_lazy("Churn early warning")
    export_filename = "churn-warnings"

    def fetch(self, limit, offset):
        return churn.warnings(self.scope, self.day, self.visible_customers(), limit=limit, offset=offset)

    def export_rows(self, cap):
        rows = self.attach(self.fetch(cap, 0))
        header = [_("customer number"), _("name"), _("branch"), _("score"), _("AUM")] + [str(s.label) for s in churn.SIGNALS]
        return [header] + [
            [
                row.customer.number if row.customer else "",
                row.customer.name_local if row.customer else "",
                row.branch.code if row.branch else "",
                row.score,
                row.aum,
                *[s.weight if row.flags[s.key] else 0 for s in churn.SIGNALS],
            ]
            for row in rows
        ]

    def get_context_data(self, **kwargs):
        rows, page, has_next = self.paged(self.fetch)
        return super().get_context_data(
            rows=rows,
            page=page,
            has_next=has_next,
            signals=churn.SIGNALS,
            warn_at=churn.WARN_AT,
            summary=churn.summary(self.scope, self.day),
            backtest=churn.backtest(self.scope, self.day),
            **kwargs,
        )


class ChurnCustomerView(AnalysisView):
    """One customer's score on the date: every signal, true or not, with its weight and the figures behind it."""

    template_name = "reports/analyses/churn_customer.html"
    title = gettext_lazy("Churn score")

    def get_context_data(self, **kwargs):
        customer = Customer.objects.visible_to(self.request.user).filter(number=self.kwargs["number"]).first()
        if customer is None:
            raise NotVisible
        found = churn.warnings(self.scope, self.day, self.visible_customers(), min_score=0, customer_id=customer.pk)
        warning = found[0] if found else None
        return super().get_context_data(customer=customer, warning=warning, warn_at=churn.WARN_AT, **kwargs)


class RiskView(AnalysisView):
    """Potential risk: loans whose borrower's deposits are falling or whose instalments are late."""

    permission_required = "reports.view_credit_risk"
    template_name = "reports/analyses/risk.html"
    title = gettext_lazy("Potential risk of loans")
    export_filename = "loan-risk"

    def fetch(self, limit, offset):
        rows, _compare = risk.risky_loans(
            self.scope.bank_id, self.day, self.visible_customers(), self.branch, limit=limit, offset=offset
        )
        return rows

    def export_rows(self, cap):
        rows = self.attach(self.fetch(cap, 0))
        header = [
            _("customer number"),
            _("name"),
            _("account number"),
            _("currency"),
            _("balance"),
            _("next instalment"),
            _("days late"),
            _("AUM"),
            _("AUM 30 days earlier"),
        ]
        return [header] + [
            [
                row.customer.number if row.customer else "",
                row.customer.name_local if row.customer else "",
                row.account_masked,
                row.currency,
                row.balance,
                row.next_instalment_date.isoformat() if row.next_instalment_date else "",
                row.days_late,
                row.aum,
                row.prev_aum,
            ]
            for row in rows
        ]

    def get_context_data(self, **kwargs):
        rows, page, has_next = self.paged(self.fetch)
        late, falling, listed = risk.count_risky_loans(self.scope.bank_id, self.day, self.visible_customers(), self.branch)
        return super().get_context_data(
            rows=rows,
            page=page,
            has_next=has_next,
            late=late,
            falling=falling,
            listed=listed,
            fall_percent=risk.FALL_PERCENT,
            **kwargs,
        )
