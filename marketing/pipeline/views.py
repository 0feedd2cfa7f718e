"""Opportunity pages: the board (mine, or the team's for a supervisor), the move endpoint the
board's drag and drop posts to, the list, the forecast and the form. Thin views: rows come from
Opportunity.objects.visible_to(user) (404 outside the scope); work is done by the services."""

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from customers.master.models import Customer
from marketing.pipeline import services
from marketing.pipeline.filtersets import OpportunityFilterSet
from marketing.pipeline.forms import MoveForm, OpportunityForm
from marketing.pipeline.models import Opportunity
from marketing.pipeline.tables import OpportunityTable
from ocrm.errors import NotVisible, messages_of
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceFormView
from ocrm.scoping import scope_of


class BoardView(PermissionPageMixin, TemplateView):
    """My board; ?team=1 shows every opportunity of the user's scope (a supervisor's subtree)."""

    permission_required = "marketing.view_opportunity"
    template_name = "marketing/pipeline/board.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        team = self.request.GET.get("team") == "1" and scope_of(user) in ("subtree", "bank", "all")
        visible = Opportunity.objects.visible_to(user)
        columns = services.board(visible, user.bank_id, owner_ids=None if team else [user.pk])
        return super().get_context_data(
            columns=columns,
            team=team,
            may_team=scope_of(user) in ("subtree", "bank", "all"),
            may_move=user.has_perm("marketing.change_opportunity"),
            csrf=get_token(self.request),
            title=_("My team's pipeline") if team else _("My pipeline"),
            **kwargs,
        )


class MoveView(PermissionPageMixin, View):
    """POST stage (+ version the board showed): JSON {ok, probability, version} or {ok: false, error}."""

    permission_required = ("marketing.view_opportunity", "marketing.change_opportunity")
    http_method_names = ["post"]

    def post(self, request, pk):
        if not Opportunity.objects.visible_to(request.user).filter(pk=pk).exists():
            raise NotVisible  # outside the scope is 404 before the fields are read
        form = MoveForm(request.POST)
        if not form.is_valid():
            return JsonResponse({"ok": False, "error": _("Choose a stage.")}, status=400)
        try:
            opportunity = services.move(
                pk,
                form.cleaned_data["stage"],
                request.user,
                seen_version=form.cleaned_data.get("version"),
                visible=Opportunity.objects.visible_to(request.user),
                reason=form.cleaned_data.get("reason") or "",
            )
        except NotVisible:
            raise
        except ValidationError as error:
            return JsonResponse({"ok": False, "error": " ".join(messages_of(error))}, status=409)
        return JsonResponse(
            {
                "ok": True,
                "probability": opportunity.probability,
                "version": opportunity.version,
                "status": opportunity.status,
                "status_label": opportunity.get_status_display(),
            }
        )


class OpportunityListView(ScopedListView):
    model = Opportunity
    permission_required = "marketing.view_opportunity"
    table_class = OpportunityTable
    filterset_class = OpportunityFilterSet
    select_related = ("customer", "owner", "stage")
    title = gettext_lazy("Opportunities")
    export_filename = "opportunities"
    create_url = "marketing:opportunity_create"
    create_perm = "marketing.add_opportunity"


class ForecastView(PermissionPageMixin, TemplateView):
    permission_required = "marketing.view_opportunity"
    template_name = "marketing/pipeline/forecast.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        by = "owner__branch__name_local" if self.request.GET.get("by") == "branch" else "owner__username"
        result = services.forecast(Opportunity.objects.visible_to(user), user.bank, group_by=by)
        chart = {
            "labels": [month.strftime("%Y-%m") for month in result["months"]],
            "datasets": [{"label": name, "data": [float(v) for v in values]} for name, values in result["rows"]],
        }
        return super().get_context_data(forecast=result, by=by, chart=chart, title=_("Weighted forecast"), **kwargs)


class OpportunityCreateView(ServiceFormView):
    permission_required = ("marketing.view_opportunity", "marketing.add_opportunity")
    form_class = OpportunityForm
    template_name = "marketing/pipeline/form.html"
    title = gettext_lazy("New opportunity")

    def get_form(self):
        kwargs = self.get_form_kwargs()
        if self.request.method == "GET":
            kwargs["initial"] = {
                "customer": self.request.GET.get("customer", "")[:32],
                "currency": getattr(self.request.user.bank, "base_currency", "CNY"),
            }
        return OpportunityForm(bank_id=self.request.user.bank_id, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        user = self.request.user
        customer = Customer.objects.visible_to(user).filter(number=data["customer"].strip()).first()
        if customer is None:
            raise ValidationError({"customer": _("No customer of yours has this number.")})
        source = Opportunity.Source.CONTACT if self.request.GET.get("from") == "contact" else Opportunity.Source.MANUAL
        return services.create_opportunity(
            customer=customer,
            owner=user,
            actor=user,
            title=data["title"],
            product=data.get("product"),
            amount=data["amount"],
            currency=data["currency"],
            expected_close=data["expected_close"],
            next_step=data.get("next_step", ""),
            source=source,
        )

    def get_success_message(self, opportunity):
        return _("Opportunity “%(title)s” created.") % {"title": opportunity.title}

    def get_success_url(self, opportunity):
        return reverse("marketing:pipeline_board")
