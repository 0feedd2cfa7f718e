"""The service request list (its XLSX export shares it)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ocrm.lists.tables import BaseTable
from ocrm.pii import mask_text
from workbench.servicerequests.models import ServiceRequest, ServiceRequestType


class ServiceRequestTable(BaseTable):
    reference = tables.Column(
        verbose_name=_("reference"), linkify=lambda record: reverse("workbench:service_request", args=[record.pk])
    )
    request_type = tables.Column(verbose_name=_("type"), accessor="request_type__name", order_by=("request_type__name",))
    customer = tables.Column(verbose_name=_("customer"), accessor="customer__name_local", order_by=("customer__number",))
    branch = tables.Column(
        verbose_name=_("branch"), accessor="customer__branch__name_local", order_by=("customer__branch__path",)
    )
    status = tables.Column(verbose_name=_("status"))
    created_by = tables.Column(
        verbose_name=_("created by"), accessor="created_by__display_name", order_by=("created_by__username",)
    )
    created_at = tables.DateTimeColumn(verbose_name=_("created"), format="Y-m-d H:i")
    expires_at = tables.DateTimeColumn(verbose_name=_("expires"), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = ServiceRequest
        fields = ()
        sequence = ("reference", "request_type", "customer", "branch", "status", "created_by", "created_at", "expires_at")


class ProcessingQueueTable(BaseTable):
    """A role's queue: what to pick up, the most pressing first. The customer's name is masked unless the
    user may see personal data in clear (the export too)."""

    reference = tables.Column(
        verbose_name=_("reference"), linkify=lambda record: reverse("workbench:service_request_step", args=[record.pk])
    )
    request_type = tables.Column(verbose_name=_("type"), accessor="request_type__name", order_by=("request_type__name",))
    step = tables.Column(verbose_name=_("current step"), accessor="step_index", orderable=False)
    customer = tables.Column(verbose_name=_("customer"), accessor="customer__name_local", orderable=False)
    processing_branch = tables.Column(
        verbose_name=_("processing branch"), accessor="processing_branch__name_local", order_by=("processing_branch__path",)
    )
    status = tables.Column(verbose_name=_("status"))
    step_due_at = tables.DateTimeColumn(verbose_name=_("step due"), format="Y-m-d H:i")
    confirmed_at = tables.DateTimeColumn(verbose_name=_("confirmed"), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = ServiceRequest
        fields = ()
        sequence = ("reference", "request_type", "step", "customer", "processing_branch", "status", "step_due_at", "confirmed_at")

    accepts_request = True  # the export builds it with the request: the same masking as the page

    def __init__(self, *args, unmasked=None, **kwargs):
        request = kwargs.get("request")
        if unmasked is None:
            unmasked = bool(request is not None and request.user.has_perm("customers.unmask_pii"))
        self.unmasked = unmasked
        super().__init__(*args, **kwargs)

    def render_request_type(self, value):
        return gettext(value)

    def render_step(self, record):
        steps = record.request_type.steps or []
        index = 0 if record.status == ServiceRequest.Status.CONFIRMED else record.step_index
        return gettext(steps[index].get("name", "")) if index < len(steps) else ""

    def value_step(self, record):
        return self.render_step(record)

    def render_customer(self, value):
        return value if self.unmasked else mask_text(value)

    def value_customer(self, value):
        return self.render_customer(value)


class RequestTypeTable(BaseTable):
    name = tables.Column(
        verbose_name=_("name"), linkify=lambda record: reverse("workbench:service_request_type_edit", args=[record.pk])
    )
    code = tables.Column(verbose_name=_("code"))
    steps = tables.Column(verbose_name=_("processing steps"), orderable=False)
    active = tables.BooleanColumn(verbose_name=_("active"))

    class Meta(BaseTable.Meta):
        model = ServiceRequestType
        fields = ()
        sequence = ("name", "code", "steps", "active")

    def render_name(self, value):
        return gettext(value)

    def render_steps(self, value):
        return " → ".join(gettext(step.get("name", "")) for step in value or [])

    def value_steps(self, value):
        return self.render_steps(value)
