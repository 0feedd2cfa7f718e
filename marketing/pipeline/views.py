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

from customers.master.models import Customer, ServiceContact
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
    """By hand, or from a service contact (?contact=<id>, from the 360 page's opportunities
    section): the contact must be of a customer the user sees and the opportunity is for that
    customer, with the contact as its source."""

    permission_required = ("marketing.view_opportunity", "marketing.add_opportunity")
    form_class = OpportunityForm
    template_name = "marketing/pipeline/form.html"
    title = gettext_lazy("New opportunity")

    def load_object(self):
        super().load_object()
        self.contact = None
        wanted = self.request.GET.get("contact", "")
        if wanted:
            customers = Customer.objects.visible_to(self.request.user)
            self.contact = (
                ServiceContact.objects.filter(pk=wanted if wanted.isdigit() else 0, customer__in=customers)
                .select_related("customer")
                .first()
            )
            if self.contact is None:
                raise NotVisible

    def get_context_data(self, **kwargs):
        return super().get_context_data(contact=self.contact, **kwargs)

    def get_form(self):
        kwargs = self.get_form_kwargs()
        if self.request.method == "GET":
            kwargs["initial"] = {
                "customer": self.request.GET.get("customer", "")[:32],
                "currency": getattr(self.request.user.bank, "base_currency", "CNY"),
            }
            if self.contact is not None:
                kwargs["initial"] |= {"customer": self.contact.customer.number, "title": self.contact.subject[:200]}
        return OpportunityForm(bank_id=self.request.user.bank_id, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        user = self.request.user
        customer = Customer.objects.visible_to(user).filter(number=data["customer"].strip()).first()
        if customer is None:
            raise ValidationError({"customer": _("No customer of yours has this number.")})
        source, source_ref = Opportunity.Source.MANUAL, ""
        if self.contact is not None:
            if self.contact.customer_id != customer.pk:
                raise ValidationError({"customer": _("The contact was with another customer.")})
            source, source_ref = Opportunity.Source.CONTACT, f"contact:{self.contact.pk}"
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
            source_ref=source_ref,
        )

    def get_success_message(self, opportunity):
        return _("Opportunity “%(title)s” created.") % {"title": opportunity.title}

    def get_success_url(self, opportunity):
        return reverse("marketing:pipeline_board")


class CustomerOpportunitiesView(PermissionPageMixin, TemplateView):
    """The 360 page's opportunities section (loaded by htmx): the customer's opportunities the user
    sees, and the latest service contacts to open one from. Another manager's customer is 404."""

    permission_required = "marketing.view_opportunity"
    template_name = "marketing/pipeline/customer_section.html"
    CONTACTS = 5
    LIMIT = 20

    def get_context_data(self, **kwargs):
        user = self.request.user
        customer = Customer.objects.visible_to(user).filter(number=kwargs["number"]).first()
        if customer is None:
            raise NotVisible
        opportunities = (
            Opportunity.objects.visible_to(user)
            .filter(customer=customer)
            .select_related("stage", "owner")
            .order_by("status", "expected_close", "pk")[: self.LIMIT]
        )
        may_add = user.has_perm("marketing.add_opportunity")
        contacts = ServiceContact.objects.filter(customer=customer).order_by("-occurred_at", "-pk")[: self.CONTACTS]
        return super().get_context_data(
            customer=customer,
            opportunities=list(opportunities),
            contacts=list(contacts) if may_add else [],
            may_add=may_add,
            **kwargs,
        )
