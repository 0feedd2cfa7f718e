"""A bank with branches in Shanghai, London and New York, a manager in each, and their customers."""

import datetime
from types import SimpleNamespace

import pytest

from customers.master.models import Holding
from sysadmin.org.models import Branch
from tests.factories import make_branch, make_customer, make_product, make_staff

UTC = datetime.UTC


@pytest.fixture
def desk(org):
    ny = make_branch(org.bank_a, "A-NY", org.a_ho, country="US", tz="America/New_York")
    ns = SimpleNamespace(org=org, ny=ny)
    ns.mgr_sh = org.manager  # Shanghai branch A-SH
    ns.mgr_ldn = make_staff("a.mgr.ldn", branch=org.a_ldn, roles=["customer_manager"])
    ns.mgr_ny = make_staff("a.mgr.ny", branch=ny, roles=["customer_manager"])
    ns.time_deposit = make_product(org.bank_a, code="TD-CNY", product_type="time_deposit")
    ns.loan = make_product(org.bank_a, code="LN-CNY", category="liability", product_type="loan")
    ns.cust_sh = make_customer("R-SH", org.a_sh, ns.mgr_sh)
    ns.cust_ldn = make_customer("R-LDN", org.a_ldn, ns.mgr_ldn)
    ns.cust_ny = make_customer("R-NY", ny, ns.mgr_ny)
    return ns


def deposit(customer, product, maturity, number=None, balance=100_000):
    return Holding.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        product=product,
        account_number=number or f"TD-{customer.number}-{maturity:%m%d}",
        currency=product.currency,
        balance=balance,
        maturity_date=maturity,
    )


def at(year, month, day, hour, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


__all__ = ["Branch", "at", "deposit"]
