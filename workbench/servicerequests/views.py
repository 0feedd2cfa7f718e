"""The service request pages for managers and supervisors (thin views; changes go through services)."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy, gettext_noop
from django.views import View

from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin
from workbench.servicerequests import services
from workbench.servicerequests.filtersets import ServiceRequestFilterSet
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
            },
        )
