"""Campaign pages: thin views over marketing.campaigns.services, every object through visible_to."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from marketing.campaigns import services
from marketing.campaigns.filtersets import CampaignFilterSet, ExcludedFilterSet
from marketing.campaigns.forms import CampaignForm, ResponseForm, UploadForm
from marketing.campaigns.models import Campaign, CampaignMember
from marketing.campaigns.tables import CampaignTable, ExcludedTable
from ocrm import links
from ocrm.errors import NotVisible
from ocrm.lists.exports import xlsx_response
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView
from workbench.todo.models import Task

VIEW_PERM = "marketing.view_campaign"


class CampaignListView(ScopedListView):
    model = Campaign
    permission_required = VIEW_PERM
    table_class = CampaignTable
    filterset_class = CampaignFilterSet
    select_related = ("branch",)
    title = gettext_lazy("Campaigns")
    export_filename = "campaigns"
    create_url = "marketing:campaign_create"
    create_perm = "marketing.add_campaign"


class CampaignFormMixin:
    form_class = CampaignForm
    template_name = "marketing/campaigns/form.html"

    def get_form(self):
        kwargs = self.get_form_kwargs()
        if self.object is not None:
            kwargs["instance"] = Campaign.objects.get(pk=self.object.pk)
        return self.form_class(user=self.request.user, **kwargs)

    def values(self, form):
        data = {name: form.cleaned_data.get(name) for name in services.FIELDS if name in form.cleaned_data}
        return data, list(form.cleaned_data.get("products") or [])

    def get_success_url(self, campaign):
        return links.url("campaign", campaign.pk)


class CampaignCreateView(CampaignFormMixin, ServiceFormView):
    permission_required = "marketing.add_campaign"
    title = gettext_lazy("New campaign")
    success_message = gettext_lazy("The campaign is saved as a draft. Run the dry run to see whom it reaches.")

    def perform(self, form):
        values, products = self.values(form)
        return services.create_campaign(self.request.user, products=products, **values)


class CampaignDetailView(CampaignFormMixin, ServiceFormView):
    """A campaign's page: its definition (editable while a draft), the dry run's funnel, the
    load per manager, the cost, and the buttons for the next step."""

    permission_required = VIEW_PERM
    model = Campaign
    select_related = ("branch", "created_by", "launched_by", "group")
    success_message = gettext_lazy("The campaign is saved. Run the dry run again before submitting it.")

    def perform(self, form):
        values, products = self.values(form)
        return services.update_campaign(self.object, self.request.user, products=products, **values)

    def get_title(self):
        return self.object.name

    def get_context_data(self, **kwargs):
        campaign = self.object
        dry_run = campaign.dry_run_at is not None or campaign.status != Campaign.Status.DRAFT
        return super().get_context_data(
            campaign=campaign,
            editable=campaign.status == Campaign.Status.DRAFT and self.request.user.has_perm(services.EDIT_PERM),
            funnel=services.funnel_rows(campaign) if dry_run else [],
            summary=services.summary(campaign) if dry_run else None,
            load=services.manager_load(campaign) if dry_run else [],
            upload_form=UploadForm(),
            **kwargs,
        )


class DryRunView(ServiceActionView):
    permission_required = services.EDIT_PERM
    model = Campaign

    def perform(self):
        return services.dry_run(self.object, self.request.user)

    def get_success_message(self, campaign):
        return _("Dry run done: %(n)d customers would be reached.") % {"n": campaign.funnel[-1][2] if campaign.funnel else 0}

    def get_success_url(self, result):
        return links.url("campaign", self.object.pk)


class SubmitView(DryRunView):
    def perform(self):
        return services.submit(self.object, self.request.user, self.request.POST.get("reason", ""))

    def get_success_message(self, campaign):
        return _("The campaign waits for a marketing manager's approval.")


class UploadView(ServiceActionView):
    permission_required = services.EDIT_PERM
    model = Campaign

    def perform(self):
        upload = self.request.FILES.get("file")
        if upload is None:
            raise ValidationError(_("Choose a file."))
        return services.upload_list(self.object, self.request.user, upload.read())

    def get_error_messages(self, error):
        return list(getattr(error, "messages", [str(error)]))

    def get_success_message(self, count):
        return _("%(n)d customers read from the list. Run the dry run again.") % {"n": count}

    def get_success_url(self, result):
        return links.url("campaign", self.object.pk)


class ExcludedListView(ScopedListView):
    """Every customer the dry run excluded, with the rule, and the targets without a manager."""

    model = CampaignMember
    permission_required = VIEW_PERM
    table_class = ExcludedTable
    filterset_class = ExcludedFilterSet
    select_related = ("customer", "branch")
    export_filename = "campaign-excluded"
    export_pii = True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.campaign = Campaign.objects.visible_to(request.user).filter(pk=kwargs["pk"]).first()
            if self.campaign is None:
                raise NotVisible
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return CampaignMember.objects.filter(campaign=self.campaign).filter(
            ~Q(excluded_by="") | Q(excluded_by="", arm=CampaignMember.Arm.TARGET, manager__isnull=True)
        )

    @property
    def title(self):
        return _("Excluded from %(name)s") % {"name": self.campaign.name}


class EvaluationView(PermissionPageMixin, View):
    permission_required = VIEW_PERM

    def get(self, request, pk):
        campaign = Campaign.objects.visible_to(request.user).filter(pk=pk).first()
        if campaign is None:
            raise NotVisible
        report = services.evaluation(campaign)
        if request.GET.get("export") == "xlsx":
            rows = [[_("branch"), _("targets"), _("responded"), _("converted"), _("response rate"), _("conversion rate")]]
            rows += [
                [e["name"], e["members"], e["responded"], e["converted"], e["response_rate"], e["conversion_rate"]]
                for e in report["by_branch"]
            ]
            rows += [[_("manager")]] + [[e["name"], e["members"], e["responded"], e["converted"]] for e in report["by_manager"]]
            return xlsx_response(
                rows, filename="campaign-evaluation", request=request, object_type="marketing.campaign", detail={"campaign": pk}
            )
        chart = {
            "labels": [e["name"] for e in report["by_branch"]],
            "response": [round(e["response_rate"] * 100, 1) for e in report["by_branch"]],
            "conversion": [round(e["conversion_rate"] * 100, 1) for e in report["by_branch"]],
            "response_label": _("response rate %"),
            "conversion_label": _("conversion rate %"),
        }
        return render(
            request,
            "marketing/campaigns/evaluation.html",
            {"campaign": campaign, "report": report, "chart": chart, "title": _("Evaluation")},
        )


class RespondView(ServiceActionView):
    """A manager's response for one of their targets (from the 360 section or the task)."""

    permission_required = services.RESPOND_PERM
    model = CampaignMember
    form_class = ResponseForm

    def get_object(self):
        return services.member_for(self.request.user, self.kwargs["pk"])

    def perform(self):
        return services.record_response(self.object, self.request.user, self.form.cleaned_data["response"])

    def get_success_message(self, member):
        return _("Response recorded: %(r)s.") % {"r": member.get_response_display()}

    def get_success_url(self, member):
        return links.url("customer", self.object.customer.number)  # the page is keyed by number, never by id


class TaskResponseView(PermissionPageMixin, View):
    """The response panel of a task a campaign launched (on the workbench task page, loaded by
    htmx): GET shows the campaign and the current response, POST records one through
    services.record_response and goes back to the task. The task comes through
    Task.objects.visible_to(user) and its target through services.member_for: 404 elsewhere."""

    permission_required = services.RESPOND_PERM

    def member(self, request, pk):
        task = Task.objects.visible_to(request.user).filter(pk=pk).first()
        if task is None:
            raise NotVisible
        return task, services.member_for_task(request.user, task)

    def get(self, request, pk):
        task, member = self.member(request, pk)
        responses = [c for c in CampaignMember.Response.choices if c[0]]
        return render(request, "marketing/campaigns/task_response.html", {"task": task, "member": member, "responses": responses})

    def post(self, request, pk):
        task, member = self.member(request, pk)
        form = ResponseForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a response."))
        else:
            try:
                member = services.record_response(member, request.user, form.cleaned_data["response"])
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            else:
                messages.success(request, _("Response recorded: %(r)s.") % {"r": member.get_response_display()})
        return redirect("workbench:task", task.pk)
