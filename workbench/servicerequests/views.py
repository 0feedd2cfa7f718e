"""The service request pages for managers and supervisors (thin views; changes go through services)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django.views import View
from django.views.generic import TemplateView

from customers.master.models import Customer
from ocrm import labels, pii
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView
from workbench.channelapi.models import ChannelClient
from workbench.servicerequests import definitions, services
from workbench.servicerequests.filtersets import ProcessingQueueFilterSet, RequestTypeFilterSet, ServiceRequestFilterSet
from workbench.servicerequests.forms import (
    RequestContentForm,
    RequestTypeForm,
    StepAttachmentForm,
    StepProgressForm,
    StepRejectForm,
    TypeChoiceForm,
)
from workbench.servicerequests.models import ServiceRequest, ServiceRequestAttachment, ServiceRequestType
from workbench.servicerequests.tables import ProcessingQueueTable, RequestTypeTable, ServiceRequestTable

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
UNMASK_PERM = "customers.unmask_pii"
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
                "log": log_rows(row),
                "log_intact": log_intact,
                "may_manage": request.user.has_perm(MANAGE_PERM),
                "may_send": row.status == ServiceRequest.Status.DRAFT,
                "may_edit": row.status in (ServiceRequest.Status.DRAFT, ServiceRequest.Status.SENT),
                "may_cancel": ServiceRequest.Status.CANCELLED in services.TRANSITIONS[ServiceRequest.Status(row.status)],
            },
        )


# The log's events as people read them (the stored codes stay as they are: they are in the hash chain).
EVENT_LABELS = {
    "created": gettext_lazy("Created"),
    "edited": gettext_lazy("Changed"),
    "progress_saved": gettext_lazy("Progress saved"),
    "step": gettext_lazy("Moved to another step"),
    "step_done": gettext_lazy("Step done"),
    "attachment": gettext_lazy("File attached"),
    "appointment_booked": gettext_lazy("Appointment booked"),
}


def event_label(event):
    if event.startswith("status:"):
        status = event.split(":", 1)[1]
        label = dict(ServiceRequest.Status.choices).get(status, status)
        return gettext("Status: %(status)s") % {"status": label}
    return str(EVENT_LABELS.get(event, event))


def log_rows(row):
    """The log's entries with their readable event (one query)."""
    entries = list(row.log_entries.select_related("actor"))
    for entry in entries:
        entry.label = event_label(entry.event)
    return entries


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


# --- the back office: queues and step pages ------------------------------------------------------
# Tellers and back-office staff see no customer record (their customer scope is empty): they reach a
# request through services.performer_queryset (the current step's role held, the processing branch
# in their subtree). Everyone else gets 404, the customer's own manager too.

PROCESS_PERM = "workbench.process_servicerequest"


def queue_roles(user):
    """The roles whose queue the user opens: the bank roles they hold (a superuser: all), in sysadmin's order."""
    known = list(labels.ROLE_LABELS)
    held = set(known) if user.is_superuser else services.roles_of(user)
    return [role for role in known if role in held]


class ProcessingQueuesView(PermissionPageMixin, View):
    """The navigation's entry: the queue of the first role the user holds."""

    permission_required = PROCESS_PERM

    def get(self, request):
        roles = queue_roles(request.user)
        if not roles:
            raise NotVisible
        return redirect("workbench:service_request_queue", roles[0])


class ProcessingQueueView(ScopedListView):
    """One role's queue: the requests whose current step that role performs, at a processing branch in
    the user's subtree (confirmed ones wait for their first step to start)."""

    model = ServiceRequest
    table_class = ProcessingQueueTable
    filterset_class = ProcessingQueueFilterSet
    permission_required = PROCESS_PERM
    template_name = "workbench/servicerequests/queue.html"
    export_filename = "service-request-queue"
    select_related = ("request_type", "customer", "processing_branch")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.kwargs["role"] not in queue_roles(request.user):
            raise NotVisible
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return (
            services.performer_queryset(self.request.user, self.kwargs["role"])
            .select_related(*self.select_related)
            .order_by("step_due_at", "pk")
        )

    def get_table_kwargs(self):
        return {"unmasked": self.request.user.has_perm(UNMASK_PERM)}

    @property
    def title(self):
        return gettext("Processing queue: %(role)s") % {"role": services.role_label(self.kwargs["role"])}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            roles=[(role, services.role_label(role)) for role in queue_roles(self.request.user)],
            role=self.kwargs["role"],
            **kwargs,
        )


def _performer_row(user, pk):
    row = (
        services.participant_queryset(user)
        .select_related("request_type", "customer", "processing_branch", "created_by")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotVisible
    return row


def masked_content(row, unmasked):
    """(label, value) of the form's fields; personal data masked unless the user may see it clear: a
    field marked `pii` (its kind: identity, phone, email, account, address, text) or copied from the
    customer record (`default_from`)."""
    shown = []
    for field in row.request_type.form_schema:
        value = row.content.get(field["name"], "")
        kind = field.get("pii") or ("text" if field.get("default_from") else None)
        if kind and not unmasked and value not in ("", None):
            value = pii.mask(value, kind if kind in pii.MASKS else "text") if kind != "text" else pii.mask_text(value)
        shown.append((field.get("label", field["name"]), value))
    for name in ("fx_rate", "fx_rate_effective_at"):
        if row.content.get(name):
            shown.append((name, row.content[name]))
    return shown


class ServiceRequestStepView(LoginRequiredMixin, View):
    """The step page of the back office: the form content (masked), the steps with their attachments,
    the saved progress of the current step and its buttons. 404 outside services.performer_queryset."""

    def get(self, request, pk):
        row = _performer_row(request.user, pk)
        steps = row.request_type.steps or []
        attachments = list(row.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk"))
        current = (
            steps[row.step_index] if row.status == ServiceRequest.Status.PROCESSING and row.step_index < len(steps) else None
        )
        progress = (row.step_progress or {}).get(str(row.step_index), {})
        unmasked = request.user.has_perm(UNMASK_PERM)
        return render(
            request,
            "workbench/servicerequests/step.html",
            {
                "row": row,
                "customer_label": row.customer.name_local if unmasked else pii.mask_text(row.customer.name_local),
                "content": masked_content(row, unmasked),
                "steps": [
                    {
                        "index": index,
                        "name": step.get("name", ""),
                        "role": services.role_label(step.get("role", "")),
                        "hours": step.get("hours"),
                        "done": index < row.step_index or row.status == ServiceRequest.Status.COMPLETED,
                        "current": current is not None and index == row.step_index,
                        "attachments": [a for a in attachments if a.step_index == index],
                        "progress": (row.step_progress or {}).get(str(index), {}).get("note", ""),
                    }
                    for index, step in enumerate(steps)
                ],
                "current": current,
                "missing": services.missing_attachments(row, attachments),
                "progress_form": StepProgressForm(initial={"note": progress.get("note", "")}),
                "attachment_form": StepAttachmentForm(request_type=row.request_type),
                "reject_form": StepRejectForm(),
                "may_start": row.status == ServiceRequest.Status.CONFIRMED,
                "may_return": current is not None and row.step_index > 0,
                "log": log_rows(row),
                "now": timezone.now(),
            },
        )


class _StepActionView(ServiceActionView):
    """A button of the step page: only for those who work on the request (404 for everyone else)."""

    permission_required = PROCESS_PERM
    model = ServiceRequest

    def has_permission(self):
        return self.request.user.is_authenticated

    def get_queryset(self):
        return services.participant_queryset(self.request.user)

    def get_success_url(self, result):
        if result is not None and not services.performer_queryset(self.request.user).filter(pk=self.object.pk).exists():
            # The request left the user's hands (the next step is another role's, or it is done).
            return reverse("workbench:service_request_queues")
        return reverse("workbench:service_request_step", args=[self.object.pk])


class StepStartView(_StepActionView):
    def perform(self):
        return services.start_processing(self.request.user, self.object)

    def get_success_message(self, result):
        return gettext("Processing of %(reference)s started.") % {"reference": result.reference}


class StepSaveView(_StepActionView):
    form_class = StepProgressForm

    def perform(self):
        return services.save_progress(self.request.user, self.object, {"note": self.form.cleaned_data["note"]})

    def get_success_message(self, result):
        return gettext("The progress of this step was saved.")


class StepAttachView(_StepActionView):
    def post(self, request, *args, **kwargs):
        self.load_object()
        form = StepAttachmentForm(request.POST, request.FILES, request_type=self.object.request_type)
        if not form.is_valid():
            self.form_invalid(form)
            return redirect(self.get_error_url())
        try:
            services.add_attachment(request.user, self.object, form.cleaned_data["file"], kind=form.cleaned_data["kind"])
        except self.refusals as error:
            for message in self.get_error_messages(error):
                messages.error(request, gettext("file") + ": " + message)
            return redirect(self.get_error_url())
        return self.succeeded(self.object)

    def get_success_message(self, result):
        return gettext("The file was attached to this step.")


class StepCompleteView(_StepActionView):
    def perform(self):
        return services.complete_step(self.request.user, self.object)

    def get_success_message(self, result):
        if result.status == ServiceRequest.Status.COMPLETED:
            return gettext("Request %(reference)s is completed.") % {"reference": result.reference}
        return gettext("The step is done; the request went on to the next step.")


class StepReturnView(_StepActionView):
    def perform(self):
        return services.return_step(self.request.user, self.object)

    def get_success_message(self, result):
        return gettext("The request went back to the previous step.")


class StepRejectView(_StepActionView):
    form_class = StepRejectForm

    def perform(self):
        return services.reject(self.request.user, self.object, self.form.cleaned_data["reason"])

    def get_success_message(self, result):
        return gettext("Request %(reference)s was rejected.") % {"reference": result.reference}


class AttachmentView(LoginRequiredMixin, View):
    """An attachment's file, for those who work on the request or see its customer."""

    def get(self, request, pk):
        attachment = ServiceRequestAttachment.objects.select_related("request").filter(pk=pk).first()
        if attachment is None:
            raise NotVisible
        visible = services.performer_may_see(request.user, attachment.request) or (
            request.user.has_perm(VIEW_PERM)
            and ServiceRequest.objects.visible_to(request.user).filter(pk=attachment.request_id).exists()
        )
        if not visible:
            raise NotVisible
        # A request's images are identity papers and signatures: who opened which file is kept.
        audit.record(
            AuditLog.Action.VIEW_PII,
            attachment.request,
            actor=request.user,
            bank_id=attachment.request.bank_id,
            detail={"event": "service_request_attachment_view", "attachment": attachment.pk, "sha256": attachment.sha256},
        )
        response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
        response["Content-Disposition"] = "inline"
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- request types, for product managers (maker-checker: definitions) ----------------------------


class RequestTypeListView(ScopedListView):
    model = ServiceRequestType
    table_class = RequestTypeTable
    filterset_class = RequestTypeFilterSet
    permission_required = definitions.MAINTAIN_PERM
    template_name = "includes/list_page.html"
    title = gettext_lazy("Service request types")
    export_filename = "service-request-types"
    create_url = "workbench:service_request_type_create"
    create_perm = definitions.CREATE_PERM

    def get_queryset(self):
        return super().get_queryset().order_by("name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not self.request.user.has_perm(definitions.CREATE_PERM):
            context["create_url"] = None
        return context


def _channel_choices():
    return ChannelClient.Kind.choices


class RequestTypeCreateView(ServiceFormView):
    permission_required = definitions.CREATE_PERM
    template_name = "workbench/servicerequests/type_form.html"

    def get_form(self):
        data = self.request.POST if self.request.method == "POST" else None
        return RequestTypeForm(data, creating=True, channel_choices=_channel_choices())

    def perform(self, form):
        definition = definitions.definition_from(form.cleaned_data)
        return definitions.create(self.request.user, form.cleaned_data["code"], definition, form.cleaned_data["reason"])

    def get_success_message(self, result):
        return gettext("The type %(name)s was filed for approval; it is offered once another product manager approves it.") % {
            "name": result[0].name
        }

    def get_success_url(self, result):
        return reverse("workbench:service_request_type_edit", args=[result[0].pk])

    def get_title(self):
        return gettext("New service request type")


class RequestTypeEditView(ServiceFormView):
    """The type's definition as lines; saving files a change another product manager approves."""

    permission_required = definitions.MAINTAIN_PERM
    template_name = "workbench/servicerequests/type_form.html"
    model = ServiceRequestType

    def get_queryset(self):
        return definitions.types_visible_to(self.request.user)

    def get_form(self):
        row = self.object
        data = self.request.POST if self.request.method == "POST" else None
        initial = {
            "name": row.name,
            "form_fields": definitions.fields_text(row.form_schema),
            "required_attachments": ", ".join(row.required_attachments or []),
            "channels": row.channels,
            "steps": definitions.steps_text(row.steps),
            "active": row.active,
        }
        return RequestTypeForm(data, initial=initial, creating=False, channel_choices=_channel_choices())

    def perform(self, form):
        definition = definitions.definition_from(form.cleaned_data)
        return definitions.submit(self.request.user, self.object.pk, definition, form.cleaned_data["reason"])

    def get_success_message(self, result):
        return gettext("The change was filed for approval by another product manager.")

    def get_success_url(self, result):
        return reverse("workbench:service_request_type_edit", args=[self.object.pk])

    def get_context_data(self, **kwargs):
        pending = definitions.approvals.pending_for(self.object).select_related("maker").first()
        return super().get_context_data(pending=pending, **kwargs)

    def get_title(self):
        return gettext("Service request type %(name)s") % {"name": gettext(self.object.name)}
