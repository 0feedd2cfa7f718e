"""Prospect pages: list, capture (with the likely duplicates when the bank has any), detail
(the duplicates again, link / convert / drop). Rows come from Prospect.objects.visible_to(user):
outside the scope is 404. Work is done by marketing.prospects.services."""

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from customers.master.models import Customer
from marketing.prospects import services
from marketing.prospects.filtersets import ProspectFilterSet
from marketing.prospects.forms import ConvertForm, CustomerNumberForm, ProspectForm, UploadForm
from marketing.prospects.models import Prospect
from marketing.prospects.tables import ProspectTable
from ocrm.errors import NotVisible
from ocrm.imports import readers
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView


def candidate_rows(candidates, user):
    """What the page shows of each likely duplicate: number, name, branch, score; a link only
    to customers the user may open."""
    ids = {c.customer.pk for c in candidates}
    openable = set(Customer.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    return [
        {
            "number": c.customer.number,
            "name": c.customer.name_local,
            "branch": c.customer.branch.name_local,
            "score": c.score,
            "identity": c.how == "identity",
            "may_open": c.customer.pk in openable,
        }
        for c in candidates
    ]


class ProspectListView(ScopedListView):
    model = Prospect
    permission_required = "marketing.view_prospect"
    table_class = ProspectTable
    filterset_class = ProspectFilterSet
    select_related = ("owner", "branch", "customer")
    title = gettext_lazy("Prospects")
    template_name = "marketing/prospects/list.html"
    export_filename = "prospects"
    create_url = "marketing:prospect_create"
    create_perm = "marketing.add_prospect"


class ProspectCreateView(ServiceFormView):
    permission_required = ("marketing.view_prospect", "marketing.add_prospect")
    form_class = ProspectForm
    template_name = "marketing/prospects/form.html"
    title = gettext_lazy("New prospect")
    candidates = ()

    def perform(self, form):
        data = form.cleaned_data
        user = self.request.user
        link_to = None
        if data.get("link_to"):
            link_to = Customer.objects.filter(bank_id=user.bank_id, number=data["link_to"].strip()).first()
            if link_to is None:
                raise ValidationError(_("Link only to one of the likely duplicates shown."))
        try:
            return services.capture(
                data, owner=user, actor=user, ignore_duplicates=data.get("ignore_duplicates"), link_to=link_to
            )
        except services.LikelyDuplicate as error:
            self.candidates = candidate_rows(error.candidates, user)
            raise

    def get_context_data(self, **kwargs):
        return super().get_context_data(candidates=self.candidates, **kwargs)

    def get_success_message(self, prospect):
        if prospect.status == Prospect.Status.LINKED:
            return _("Prospect “%(name)s” linked to customer %(number)s.") % {
                "name": prospect.name,
                "number": prospect.customer.number,
            }
        return _("Prospect “%(name)s” captured.") % {"name": prospect.name}

    def get_success_url(self, prospect):
        return reverse("marketing:prospect_detail", args=[prospect.pk])


class ProspectDetailView(PermissionPageMixin, TemplateView):
    permission_required = "marketing.view_prospect"
    template_name = "marketing/prospects/detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        prospect = Prospect.objects.visible_to(user).select_related("owner", "branch", "customer").filter(pk=kwargs["pk"]).first()
        if prospect is None:
            raise NotVisible
        open_ = prospect.status == Prospect.Status.OPEN
        candidates = candidate_rows(services.likely_duplicates(prospect), user) if open_ else []
        return super().get_context_data(
            prospect=prospect,
            candidates=candidates,
            may_act=open_ and user.has_perm("marketing.change_prospect"),
            may_open_customer=prospect.customer_id is not None
            and Customer.objects.visible_to(user).filter(pk=prospect.customer_id).exists(),
            title=prospect.name,
            **kwargs,
        )


class _ProspectAction(ServiceActionView):
    model = Prospect
    permission_required = ("marketing.view_prospect", "marketing.change_prospect")

    def get_success_url(self, result):
        return reverse("marketing:prospect_detail", args=[self.object.pk])

    def get_error_url(self):
        return self.get_success_url(None)


class ProspectLinkView(_ProspectAction):
    form_class = CustomerNumberForm

    def perform(self):
        customer = Customer.objects.filter(bank_id=self.object.bank_id, number=self.form.cleaned_data["customer"]).first()
        if customer is None:
            raise ValidationError(_("Link only to one of the likely duplicates shown."))
        return services.link(self.object.pk, customer, self.request.user, visible=self.get_queryset())

    def get_success_message(self, prospect):
        return _("Prospect “%(name)s” linked to customer %(number)s.") % {
            "name": prospect.name,
            "number": prospect.customer.number,
        }


class ProspectConvertView(_ProspectAction):
    form_class = ConvertForm

    def perform(self):
        return services.convert(
            self.object.pk,
            self.request.user,
            visible=self.get_queryset(),
            ignore_duplicates=self.form.cleaned_data.get("ignore_duplicates"),
        )

    def get_success_message(self, prospect):
        return _("Prospect “%(name)s” converted: customer %(number)s created.") % {
            "name": prospect.name,
            "number": prospect.customer.number,
        }


class ProspectDropView(_ProspectAction):
    def perform(self):
        return services.drop(self.object.pk, self.request.user, visible=self.get_queryset())

    def get_success_message(self, prospect):
        return _("Prospect “%(name)s” dropped.") % {"name": prospect.name}


class ProspectUploadView(ServiceFormView):
    """Upload a sheet of prospects: every bad row named by row and field, nothing kept unless all are good."""

    permission_required = ("marketing.view_prospect", "marketing.add_prospect")
    form_class = UploadForm
    template_name = "marketing/prospects/upload.html"
    title = gettext_lazy("Upload prospects")

    def perform(self, form):
        upload = form.cleaned_data["file"]
        limit = readers.upload_limit(self.request.user.bank_id)
        if upload.size > limit:  # refused before the file is read into memory
            raise ValidationError(readers.too_large_message(upload.size, limit))
        return services.upload(upload.read(), owner=self.request.user)

    def get_success_message(self, prospects):
        return _("%(n)d prospects captured from the file.") % {"n": len(prospects)}

    def get_success_url(self, prospects):
        return reverse("marketing:prospects")
