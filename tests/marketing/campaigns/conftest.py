import datetime

import pytest

from customers.consent.models import ContactPolicy
from customers.master.models import CustomerGroup
from marketing.campaigns import services
from tests.factories import make_customer, make_product, make_staff


def consenting(number, branch, manager=None, consent=True, **extra):
    customer = make_customer(number, branch, manager, **extra)
    ContactPolicy.objects.create(bank=branch.bank, customer=customer, marketing_consent=consent)
    return customer


@pytest.fixture
def second_marketer(org):
    return make_staff("a.mm2", branch=org.a_ho, roles=["marketing_manager"])


@pytest.fixture
def build(org):
    """A static group of customers and a draft campaign over it (one product, task channel)."""

    def _build(customers, **values):
        group = CustomerGroup.objects.create(bank=org.bank_a, owner=org.marketing_manager, name="G")
        group.members.set(customers)
        fields = {
            "name": "Time deposit autumn",
            "goal": "Sell the 1-year time deposit",
            "starts_on": datetime.date(2026, 12, 1),
            "ends_on": datetime.date(2027, 1, 31),
            "branch": org.a_ho,
            "group": group,
            "holdout_percent": 0,
            "cost_per_contact": 2,
            **values,
        }
        return services.create_campaign(org.marketing_manager, products=[make_product(org.bank_a, "TD-1Y")], **fields)

    return _build
