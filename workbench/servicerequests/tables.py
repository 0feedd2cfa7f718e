"""The service request list (its XLSX export shares it)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ocrm.lists.tables import BaseTable
from workbench.servicerequests.models import ServiceRequest


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
