"""The "Lifecycle changes" page: the customers whose lifecycle stage the nightly batch
(customers.lifecycle.services) changed, for their managers the next morning.

Scoped like the customer list: a change is visible exactly when its customer is
(Customer.objects.visible_to), so a manager sees their own customers' changes only. The
business date defaults to the bank's latest lifecycle run."""

from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from customers.lifecycle import services as lifecycle
from customers.lifecycle.filtersets import LifecycleChangeFilterSet
from customers.lifecycle.models import LifecycleChange
from customers.lifecycle.tables import LifecycleChangeTable
from customers.master.models import Customer
from ocrm.batch.models import JobRun
from ocrm.lists.views import ScopedListView


def latest_business_date(user):
    """The business date of the bank's latest successful lifecycle run, else of its latest change."""
    runs = JobRun.objects.filter(job=lifecycle.JOB, status=JobRun.Status.SUCCEEDED, business_date__isnull=False)
    changes = LifecycleChange.objects.filter(business_date__isnull=False)
    if user.bank_id is not None:
        runs, changes = runs.filter(bank_id=user.bank_id), changes.filter(bank_id=user.bank_id)
    latest = runs.order_by("-business_date").values_list("business_date", flat=True).first()
    return latest or changes.aggregate(latest=Max("business_date"))["latest"]


class LifecycleChangeListView(ScopedListView):
    model = LifecycleChange
    table_class = LifecycleChangeTable
    filterset_class = LifecycleChangeFilterSet
    permission_required = "customers.view_lifecyclechange"
    template_name = "customers/lifecycle/changes.html"
    title = _("Lifecycle changes")
    export_filename = "lifecycle-changes"
    select_related = ("customer", "customer__branch", "customer__primary_manager")

    def get_queryset(self):
        # A change is visible exactly when its customer is (404 / nothing outside the scope).
        qs = LifecycleChange.objects.filter(customer__in=Customer.objects.visible_to(self.request.user))
        return qs.select_related(*self.select_related).order_by("customer__number", "pk")

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if "business_date" not in self.request.GET:
            self.default_business_date = latest_business_date(self.request.user)
            data = kwargs["data"].copy() if kwargs.get("data") is not None else self.request.GET.copy()
            data["business_date"] = self.default_business_date.isoformat() if self.default_business_date else ""
            kwargs["data"] = data
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = context.get("filter")
        context["business_date"] = (
            filterset.form.cleaned_data.get("business_date") if filterset is not None and filterset.is_valid() else None
        )
        return context
