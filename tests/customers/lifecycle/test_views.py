"""The "Lifecycle changes" page through the shared page checks (tests.support.views): a
change is visible exactly when its customer is. Filters, the default date and the export
are in test_pages.py."""

import datetime

from django.utils import timezone

from customers.lifecycle.models import LifecycleChange
from customers.master.models import Customer
from ocrm.scoping import SCOPE_SUBTREE
from tests.factories import make_customer
from tests.support.views import ModelPagesTests, Page

DAY = timezone.localdate() - datetime.timedelta(days=1)


class TestLifecycleChangePages(ModelPagesTests):
    model = LifecycleChange
    permission = "customers.view_lifecyclechange"
    scope = SCOPE_SUBTREE
    pages = {"list": Page("customers:lifecycle_changes", max_queries=10)}

    def make(self, branch, n):
        customer = make_customer(f"PT-{n}", branch, lifecycle_stage="dormant")
        return LifecycleChange.objects.create(
            bank_id=branch.bank_id, customer=customer, stage_from="active", stage_to="dormant", business_date=DAY
        )

    def visible_rows(self, user):
        return LifecycleChange.objects.filter(customer__in=Customer.objects.visible_to(user))
