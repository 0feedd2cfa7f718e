"""Appraisal pages (thin views over reports.appraisal.services): the KPI schemes (list, detail,
edit, submit to a checker, new version, managers' targets), my scorecard, a score with its
lines and adjustments, the snapshot rows behind a line, and the team's scores with ranks."""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, Exists, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from customers.master.models import Customer
from ocrm.approvals import inbox
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView, add_errors
from reports.appraisal import services
from reports.appraisal.filtersets import SchemeFilterSet, ScoreFilterSet
from reports.appraisal.forms import AdjustmentForm, IndicatorFormSet, ManagerTargetForm, NewVersionForm, SchemeForm
from reports.appraisal.models import IndicatorKind, KpiScheme, ManagerTarget, PeriodKind, Score, ScoreLine
from reports.appraisal.tables import SchemeTable, ScoreTable, SourceCustomerTable, SourceMeasureTable

SCHEME_VIEW = "reports.view_kpischeme"
SCHEME_EDIT = "reports.change_kpischeme"
SCORE_VIEW = "reports.view_score"


# --- schemes ------------------------------------------------------------------------------


class SchemeListView(ScopedListView):
    model = KpiScheme
    table_class = SchemeTable
    filterset_class = SchemeFilterSet
    permission_required = SCHEME_VIEW
    title = gettext_lazy("KPI schemes")
    export_filename = "kpi-schemes"
    create_url = "reports:kpi_scheme_new"
    create_perm = "reports.add_kpischeme"


class SchemeDetailView(PermissionPageMixin, View):
    permission_required = SCHEME_VIEW

    def get(self, request, pk):
        scheme = get_object_or_404(KpiScheme.objects.visible_to(request.user).select_related("previous"), pk=pk)
        indicators = list(scheme.indicators.order_by("position"))
        targets = (
            ManagerTarget.objects.filter(indicator__scheme=scheme)
            .select_related("indicator", "manager")
            .order_by("indicator__position", "manager__username", "-valid_from")
        )
        user = request.user
        context = {
            "title": str(scheme),
            "scheme": scheme,
            "indicators": indicators,
            "targets": targets,
            "may_edit": user.has_perm(SCHEME_EDIT) and scheme.status == KpiScheme.Status.DRAFT,
            "may_version": user.has_perm("reports.add_kpischeme") and scheme.status == KpiScheme.Status.ACTIVE,
            "may_target": user.has_perm("reports.add_managertarget") and scheme.status != KpiScheme.Status.DRAFT,
            "target_form": ManagerTargetForm(scheme=scheme),
            "version_form": NewVersionForm(),
            "inbox_url": inbox.page_url(action=services.ACTION_ACTIVATE_SCHEME),
        }
        return render(request, "reports/appraisal/scheme_detail.html", context)


class SchemeEditView(PermissionPageMixin, View):
    """A new draft (no pk) or a draft's changes: the scheme and its indicators, saved as a whole."""

    permission_required = SCHEME_EDIT
    template_name = "reports/appraisal/scheme_form.html"

    def get_scheme(self, pk):
        if pk is None:
            return KpiScheme(bank_id=self.request.user.bank_id)
        return get_object_or_404(KpiScheme.objects.visible_to(self.request.user), pk=pk, status=KpiScheme.Status.DRAFT)

    def get(self, request, pk=None):
        scheme = self.get_scheme(pk)
        initial = services.indicator_dicts(scheme) if scheme.pk else []
        return self.render(scheme, SchemeForm(instance=scheme), IndicatorFormSet(initial=initial, prefix="ind"))

    def post(self, request, pk=None):
        scheme = self.get_scheme(pk)
        form = SchemeForm(request.POST, instance=scheme)
        formset = IndicatorFormSet(request.POST, prefix="ind")
        if form.is_valid() and formset.is_valid():
            indicators = [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.is_blank()]
            try:
                saved = services.save_scheme(form.instance, indicators, request.user)
            except ValidationError as error:
                add_errors(form, error)
                return self.render(scheme, form, formset)
            return redirect("reports:kpi_scheme", pk=saved.pk)
        return self.render(scheme, form, formset)

    def render(self, scheme, form, formset):
        title = _("Edit KPI scheme") if scheme.pk else _("New KPI scheme")
        return render(self.request, self.template_name, {"title": title, "scheme": scheme, "form": form, "formset": formset})


class SchemeSubmitView(ServiceActionView):
    model = KpiScheme
    permission_required = SCHEME_EDIT
    success_message = gettext_lazy("The scheme was submitted; another person with the checker permission approves it.")

    def perform(self):
        return services.submit_scheme(self.object.pk, self.request.user, self.request.POST.get("reason", ""))

    def get_success_url(self, result):
        return reverse("reports:kpi_scheme", args=[self.object.pk])


class SchemeVersionView(ServiceActionView):
    model = KpiScheme
    permission_required = "reports.add_kpischeme"
    form_class = NewVersionForm
    success_message = gettext_lazy("A new draft version was made; edit it and submit it.")

    def perform(self):
        return services.new_version(self.object.pk, self.request.user, self.form.cleaned_data["valid_from"])

    def get_success_url(self, result):
        return reverse("reports:kpi_scheme", args=[result.pk if result else self.object.pk])


class ManagerTargetAddView(ServiceActionView):
    model = KpiScheme
    permission_required = "reports.add_managertarget"
    form_class = ManagerTargetForm
    success_message = gettext_lazy("The manager's target was saved.")

    def get_form_kwargs(self):
        return {"scheme": self.object}

    def perform(self):
        data = self.form.cleaned_data
        if not self.object.indicators.filter(pk=data["indicator"]).exists():
            raise Http404
        return services.add_manager_target(
            data["indicator"],
            data["manager"].pk,
            self.request.user,
            data["valid_from"],
            data["valid_to"],
            data["threshold"],
            data["target"],
            data["stretch"],
        )

    def get_success_url(self, result):
        return reverse("reports:kpi_scheme", args=[self.object.pk])


# --- scorecards ---------------------------------------------------------------------------


class MyScorecardView(PermissionPageMixin, View):
    """The user's latest score (or the period asked for); a page saying so when there is none."""

    permission_required = SCORE_VIEW

    def get(self, request):
        latest = Score.objects.filter(manager=request.user).order_by("-period_end", "period_kind").first()
        if latest is not None:
            return redirect("reports:kpi_score", pk=latest.pk)
        return render(request, "reports/appraisal/no_score.html", {"title": _("My scorecard")})


def chart_data(lines):
    return {
        "labels": [str(line.label) for line in lines],
        "points": [float(line.points) for line in lines],
        "weights": [float(line.weight) for line in lines],
    }


class ScoreDetailView(PermissionPageMixin, View):
    """One score: every line with its value, bands, weight and points, a link to its source rows,
    the adjustments, and (for a supervisor of the subtree) the adjustment form. Outside the scope: 404."""

    permission_required = SCORE_VIEW

    def get(self, request, pk, form=None):
        score = get_object_or_404(
            Score.objects.visible_to(request.user).select_related("manager", "branch", "region", "scheme"), pk=pk
        )
        lines = list(score.lines.select_related("manager_target").order_by("position"))
        own_periods = (
            Score.objects.visible_to(request.user)
            .filter(manager_id=score.manager_id)
            .order_by("-period_end", "period_kind")
            .values_list("pk", "period_kind", "period_start")[:24]
        )
        periods = [
            (pk_, f"{start.year} Q{(start.month - 1) // 3 + 1}" if kind == PeriodKind.QUARTER else f"{start:%Y-%m}")
            for pk_, kind, start in own_periods
        ]
        user = request.user
        context = {
            "title": _("Scorecard of %(name)s, %(period)s") % {"name": score.manager.display_name, "period": score.period_label},
            "score": score,
            "lines": lines,
            "periods": periods,
            "chart": chart_data(lines),
            "adjustments": score.adjustments.select_related("created_by").order_by("created_at"),
            "may_adjust": user.has_perm("reports.adjust_score") and score.manager_id != user.pk,
            "adjust_form": form or AdjustmentForm(),
            "inbox_url": inbox.page_url(action=services.ACTION_ADJUST_SCORE),
        }
        return render(request, "reports/appraisal/score_detail.html", context)


class AdjustView(ServiceFormView):
    model = Score
    permission_required = "reports.adjust_score"
    form_class = AdjustmentForm
    template_name = "reports/appraisal/adjust.html"
    title = gettext_lazy("Adjust the score")
    success_message = gettext_lazy("The adjustment was submitted; another supervisor approves it.")

    def perform(self, form):
        return services.submit_adjustment(
            self.object.pk, form.cleaned_data["points"], form.cleaned_data["reason"], self.request.user
        )

    def get_success_url(self, result):
        return reverse("reports:kpi_score", args=[self.object.pk])


class LineSourceView(ScopedListView):
    """The snapshot rows behind one line of a score: the customers (named only when in the user's
    customer scope) or the measure rows, with the rule and weight used. Outside the scope: 404."""

    permission_required = SCORE_VIEW
    template_name = "reports/appraisal/line_source.html"
    filterset_class = None
    export_filename = "kpi-source-rows"
    per_page = 50

    def line(self):
        if not hasattr(self, "_line"):
            scores = Score.objects.visible_to(self.request.user)
            self._line = get_object_or_404(
                ScoreLine.objects.select_related("score", "score__manager").filter(score__in=scores),
                pk=self.kwargs["line"],
                score_id=self.kwargs["pk"],
            )
        return self._line

    @property
    def model(self):
        return services.MeasureDay if self.line().kind == IndicatorKind.MEASURE else services.CustomerDay

    def get_table_class(self):
        return SourceMeasureTable if self.line().kind == IndicatorKind.MEASURE else SourceCustomerTable

    @property
    def table_class(self):
        return self.get_table_class()

    def get_queryset(self):
        line = self.line()
        score = line.score
        rows = services.source_rows(
            score.bank_id, line.kind, score.period_start, score.period_end, score.baseline_date, line.category, line.measure
        ).filter(manager_id=score.manager_id)
        if line.kind == IndicatorKind.MEASURE:
            return rows.order_by("business_date", "id")
        customers = Customer.objects.filter(pk=OuterRef("customer_id"))
        return rows.annotate(
            customer_visible=Exists(Customer.objects.visible_to(self.request.user).filter(pk=OuterRef("customer_id"))),
            customer_number=Subquery(customers.values("number")[:1]),
            customer_name=Subquery(customers.values("name_local")[:1]),
        ).order_by("business_date", "customer_id")

    def filtered_queryset(self):
        return self.get_queryset()

    def get_filterset(self, filterset_class):
        return None

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return self.export(request)
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        line = self.line()
        context["line"] = line
        context["score"] = line.score
        context["total"] = services.indicator_value(
            self.get_queryset().order_by(), line.kind, line.score.period_end, line.measure
        )
        context["title"] = _("%(indicator)s: the rows behind %(points)s points") % {
            "indicator": line.label,
            "points": line.points,
        }
        return context


class TeamScoresView(ScopedListView):
    """Scores of the user's scope for one period (default: the latest month), ranked within the
    branch and the region, with the branch roll-up and a chart."""

    model = Score
    table_class = ScoreTable
    filterset_class = ScoreFilterSet
    permission_required = "reports.view_team_scores"
    template_name = "reports/appraisal/team.html"
    title = gettext_lazy("Team scores")
    export_filename = "kpi-team-scores"
    select_related = ("manager", "branch", "region")

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        data = kwargs.get("data")
        data = data.copy() if data is not None else {}
        data.setdefault("period_kind", PeriodKind.MONTH)
        if not data.get("period_start"):
            latest = (
                Score.objects.visible_to(self.request.user)
                .filter(period_kind=data.get("period_kind"))
                .order_by("-period_end")
                .values_list("period_end", flat=True)
                .first()
            )
            data["period_start"] = (latest or datetime.date.today()).isoformat()
        kwargs["data"] = data
        return kwargs

    def get_queryset(self):
        return super().get_queryset().order_by("branch__path", "rank_in_branch", "manager__username")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        qs = self.object_list
        context["branches"] = list(
            qs.order_by()
            .values("branch__name_local", "branch__path")
            .annotate(managers=Count("pk"), average=Avg("total"))
            .order_by("-average", "branch__path")
        )
        context["chart"] = {
            "labels": [row["branch__name_local"] for row in context["branches"]],
            "points": [round(float(row["average"] or 0), 2) for row in context["branches"]],
        }
        return context
