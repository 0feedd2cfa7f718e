"""seed_demo's customers (customers/demo.py): loading again (--reset), an organisation without
customers, the banks' numbering schemes. What a load holds is read in test_demo_data.py, which
loads once for all of its tests."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.master import services as master_services
from customers.master.models import Customer
from sysadmin.org.models import Staff
from sysadmin.parameters import services as parameter_services

pytestmark = pytest.mark.django_db

COUNT = 400


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", "--customers-count", str(COUNT), *args, stdout=out)
    return out.getvalue()


def test_reset_replaces_the_demo_customers():
    seed()
    old = set(Customer.objects.values_list("pk", flat=True))
    numbers = sorted(Customer.objects.values_list("number", "name_local"))
    output = seed("--reset")
    assert "Removed 2 demo bank(s)" in output
    assert sorted(Customer.objects.values_list("number", "name_local")) == numbers
    assert not old & set(Customer.objects.values_list("pk", flat=True))


def test_customers_none_loads_only_the_organisation():
    out = io.StringIO()
    call_command("seed_demo", "--customers", "none", stdout=out)
    assert not Customer.objects.exists()
    assert Staff.objects.filter(bank__code="OGB").exists()


def test_a_banks_number_scheme_applies_and_skips_numbers_taken_in_one_step(org):
    """customers.number_prefix / number_digits per bank: the other bank keeps the default "C" +
    10 digits; numbers a feed loaded already are stepped over at once, not one by one."""
    parameter_services.set_value("customers.number_prefix", "88", bank=org.bank_a)
    parameter_services.set_value("customers.number_digits", 6, bank=org.bank_a)
    taken = master_services.next_customer_number(org.bank_a)
    assert re.fullmatch(r"88\d{6}", taken)
    following, highest = f"88{int(taken[2:]) + 1:06d}", f"88{int(taken[2:]) + 5000:06d}"
    for number in (taken, following, highest):  # the next number is taken too, by a feed
        Customer.objects.create(bank=org.bank_a, number=number, kind="retail", name_local="王伟", branch=org.a_sh)
    with CaptureQueriesContext(connection) as queries:
        assert master_services.next_customer_number(org.bank_a) == f"88{int(highest[2:]) + 1:06d}"
    assert len(queries) < 12
    assert re.fullmatch(r"C\d{10}", master_services.next_customer_number(org.bank_b))
