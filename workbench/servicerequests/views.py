"""The service request pages for managers and supervisors (thin views; changes go through services)."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django.views import View
from django.views.generic import TemplateView

from customers.master.models import Customer
from ocrm.errors import NotVisible
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView
from workbench.channelapi.models import ChannelClient
from workbench.servicerequests import services
from workbench.servicerequests.filtersets import ServiceRequestFilterSet
from workbench.servicerequests.forms import RequestContentForm, TypeChoiceForm
from workbench.servicerequests.models import ServiceRequest
from workbench.servicerequests.tables import ServiceRequestTable

# The built-in types' labels and step names (services.BUILT_IN_TYPES, stored as data): the pages translate them.
BUILT_IN_LABELS = (
    gettext_noop("Branch appointment"),
    gettext_noop("Foreign-currency cash exchange order"),
    gettext_noop("Product application"),
    gettext_noop("Branch"),
    gettext_noop("Date"),
    gettext_noop("Time"),
    gettext_noop("Purpose"),
    gettext_noop("Currency"),
    gettext_noop("Amount"),
    gettext_noop("Pick-up branch"),
    gettext_noop("Pick-up date"),
    gettext_noop("Product"),
    gettext_noop("Name"),
    gettext_noop("Receive the customer"),
    gettext_noop("Check identity"),
    gettext_noop("Prepare cash"),
    gettext_noop("Review"),
)

# Whoever sees a customer sees the customer's requests (ServiceRequest.objects.visible_to follows the customer).
VIEW_PERM = "customers.view_customer"
# Preparing, sending, changing and cancelling a request (customer managers and supervisors).
MANAGE_PERM = "workbench.add_servicerequest"
SECTION_SIZE = 10


class ServiceRequestListView(ScopedListView):
    model = ServiceRequest
    table_class = ServiceRequestTable
    filterset_class = ServiceRequestFilterSet
    permission_required = VIEW_PERM
    template_name = "workbench/servicerequests/list.html"
    title = gettext_lazy("Service requests")
    export_filename = "service-requests"
    select_related = ("request_type", "customer", "customer__branch", "created_by")


class ServiceRequestDetailView(PermissionPageMixin, View):
    permission_required = VIEW_PERM

    def get(self, request, pk):
        row = ServiceRequest.objects.select_related("request_type", "customer", "created_by").get_visible_or_404(
            request.user, pk=pk
        )
        steps = row.request_type.steps or []
        attachments = list(row.attachments.order_by("uploaded_at"))
        log_intact, _first_bad = services.verify_log(row)
        return render(
            request,
            "workbench/servicerequests/detail.html",
            {
                "row": row,
                "content": [
                    (field.get("label", field["name"]), row.content.get(field["name"], ""))
                    for field in row.request_type.form_schema
                ],
                "steps": [
                    {
                        "name": step.get("name", ""),
                        "hours": step.get("hours"),
                        "done": row.status == ServiceRequest.Status.COMPLETED or index < row.step_index,
                        "current": row.status == ServiceRequest.Status.PROCESSING and index == row.step_index,
                        "attachments": [a for a in attachments if a.step_index == index],
                    }
                    for index, step in enumerate(steps)
                ],
                "log": row.log_entries.select_related("actor"),
                "log_intact": log_intact,
                "may_manage": request.user.has_perm(MANAGE_PERM),
                "may_send": row.status == ServiceRequest.Status.DRAFT,
                "may_edit": row.status in (ServiceRequest.Status.DRAFT, ServiceRequest.Status.SENT),
                "may_cancel": ServiceRequest.Status.CANCELLED in services.TRANSITIONS[ServiceRequest.Status(row.status)],
            },
        )


def channel_labels(request_type):
    if request_type is None:
        return []
    kinds = dict(ChannelClient.Kind.choices)
    return [str(kinds[code]) for code in request_type.channels if code in kinds]


def _visible_customer(user, number):
    customer = Customer.objects.visible_to(user).select_related("branch").filter(number=number).first()
    if customer is None:
        raise NotVisible
    return customer


class ServiceRequestCreateView(ServiceFormView):
    """Prepare a request for a customer (reached from the 360 page): choose the type, fill its
    fields (defaults from the customer record), keep it as a draft or send it at once for the
    customer's confirmation in a channel."""

    permission_required = MANAGE_PERM
    template_name = "workbench/servicerequests/form.html"

    def load_object(self):
        self.object = _visible_customer(self.request.user, self.kwargs["number"])
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        self.type_form = TypeChoiceForm(source if "type" in source else None, bank_id=self.object.bank_id)
        self.request_type = self.type_form.cleaned_data["type"] if self.type_form.is_bound and self.type_form.is_valid() else None

    def get_form(self):
        if self.request_type is None:
            return None
        data = self.request.POST if self.request.method == "POST" else None
        return RequestContentForm(self.request_type, self.object, data)

    def post(self, request, *args, **kwargs):
        self.load_object()
        form = self.form = self.get_form()
        if form is not None and form.is_valid():
            return self.form_valid(form)
        return self.render_form(form)

    def perform(self, form):
        row = services.create_request(self.request.user, self.object, self.request_type, form.content())
        if self.request.POST.get("action") == "send":
            row = services.send(self.request.user, row)
        return row

    def get_success_message(self, result):
        if result.status == ServiceRequest.Status.SENT:
            return gettext("Request %(reference)s was sent to the customer for confirmation.") % {"reference": result.reference}
        return gettext("Request %(reference)s was saved as a draft.") % {"reference": result.reference}

    def get_success_url(self, result):
        return reverse("workbench:service_request", args=[result.pk])

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            customer=self.object,
            type_form=self.type_form,
            request_type=self.request_type,
            channels=channel_labels(self.request_type),
            creating=True,
            **kwargs,
        )

    def get_title(self):
        return gettext("New service request")


class ServiceRequestEditView(ServiceFormView):
    """Change a draft or a request waiting for the customer: a sent one goes out again as a new
    version (its pending confirmation is void)."""

    permission_required = MANAGE_PERM
    template_name = "workbench/servicerequests/form.html"
    model = ServiceRequest
    select_related = ("request_type", "customer")

    def get_form(self):
        data = self.request.POST if self.request.method == "POST" else None
        return RequestContentForm(self.object.request_type, self.object.customer, data, initial=self.object.content)

    def perform(self, form):
        return services.edit(self.request.user, self.object, form.content())

    def get_success_message(self, result):
        return gettext("Request %(reference)s was changed (version %(version)d).") % {
            "reference": result.reference,
            "version": result.version,
        }

    def get_success_url(self, result):
        return reverse("workbench:service_request", args=[result.pk])

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            customer=self.object.customer,
            request_type=self.object.request_type,
            channels=channel_labels(self.object.request_type),
            **kwargs,
        )

    def get_title(self):
        return gettext("Change request %(reference)s") % {"reference": self.object.reference}


class _RequestActionView(ServiceActionView):
    permission_required = MANAGE_PERM
    model = ServiceRequest

    def get_success_url(self, result):
        return reverse("workbench:service_request", args=[self.object.pk])


class ServiceRequestSendView(_RequestActionView):
    def perform(self):
        return services.send(self.request.user, self.object)

    def get_success_message(self, result):
        return gettext("Request %(reference)s was sent to the customer for confirmation.") % {"reference": result.reference}


class ServiceRequestCancelView(_RequestActionView):
    def perform(self):
        return services.cancel(self.request.user, self.object, self.request.POST.get("reason", "")[:300])

    def get_success_message(self, result):
        return gettext("Request %(reference)s was cancelled.") % {"reference": result.reference}


class CustomerRequestsSectionView(PermissionPageMixin, TemplateView):
    """The 360 page's service requests section, loaded by htmx (sections.register_sections)."""

    permission_required = VIEW_PERM
    template_name = "workbench/servicerequests/section.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        customer = _visible_customer(user, self.kwargs["number"])
        rows = list(
            ServiceRequest.objects.visible_to(user)
            .filter(customer=customer)
            .select_related("request_type")
            .order_by("-created_at", "-pk")[:SECTION_SIZE]
        )
        return super().get_context_data(customer=customer, rows=rows, may_create=user.has_perm(MANAGE_PERM), **kwargs)
