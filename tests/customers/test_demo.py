"""seed_demo's customers (customers/demo.py): proportions, scripts, valid identity numbers and
phones, scope, search, determinism. Loads a few hundred customers (--customers-count)."""

import io
import random
import re
from collections import Counter

import phonenumbers
import pytest
from django.core.management import call_command
from django.db.models import Count

from customers import demo as customer_demo
from customers.master.models import (
    ContactPoint,
    CorporateProfile,
    Customer,
    Holding,
    HoldingBalance,
    IdentityDocument,
    Product,
    Relationship,
    RetailProfile,
    Transaction,
)
from customers.master.search import filter_by_name
from ocrm import pii
from ocrm.audit.models import AuditLog
from sysadmin.org.models import Staff

pytestmark = pytest.mark.django_db

COUNT = 400
HAN = re.compile(r"[\u4e00-\u9fff]")


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", "--customers-count", str(COUNT), *args, stdout=out)
    return out.getvalue()


def test_counts_and_proportions():
    output = seed()
    assert f"customers   {COUNT}" in output
    customers = Customer.objects.filter(bank__code__in=["OGB", "HCB"])
    assert customers.count() == COUNT
    kinds = Counter(customers.values_list("kind", flat=True))
    assert 0.05 <= kinds["corporate"] / COUNT <= 0.16
    assert RetailProfile.objects.count() == kinds["retail"] and CorporateProfile.objects.count() == kinds["corporate"]
    assert 0.6 <= customers.filter(bank__code="OGB").count() / COUNT <= 0.8

    for model, low, high in ((IdentityDocument, 1, 3), (ContactPoint, 1, 3), (Holding, 1, 6)):
        per_customer = Counter(model.objects.values_list("customer_id", flat=True))
        assert set(per_customer) == set(customers.values_list("pk", flat=True)), model
        assert low <= min(per_customer.values()) and max(per_customer.values()) <= high, model
    assert not customers.annotate(n=Count("addresses")).exclude(n=1).exists()
    transactions = Transaction.objects.count()
    assert 6 * COUNT <= transactions <= 20 * COUNT
    assert set(Transaction.objects.values_list("channel", flat=True)) >= {"counter", "atm", "mobile", "online", "pos"}
    # Twelve month-end points per open holding (fewer for holdings opened within the year).
    per_holding = Counter(HoldingBalance.objects.values_list("holding_id", flat=True))
    assert max(per_holding.values()) == 12
    assert {"asset", "liability", "fee"} <= set(Product.objects.filter(bank__code="OGB").values_list("category", flat=True))
    assert len(set(Product.objects.filter(bank__code="OGB").values_list("currency", flat=True))) >= 4
    assert Holding.objects.filter(product__product_type="loan", next_instalment_date__isnull=False).exists()
    kinds_of_relation = set(Relationship.objects.values_list("kind", flat=True))
    assert {"spouse", "legal_rep", "shareholder"} <= kinds_of_relation
    assert customers.filter(household__isnull=False).exists()
    assert AuditLog.objects.filter(action=AuditLog.Action.IMPORT, detail__source="seed_demo_customers").count() == 2

    # Tier, stars and AUM agree with each other; AUM is what the asset holdings add up to.
    for customer in customers.filter(kind="retail")[:50]:
        assert (customer.tier, customer.star_rating) == customer_demo.tier_and_stars(customer.aum)


def test_names_are_in_the_script_of_the_branch_country():
    seed()
    customers = Customer.objects.filter(bank__code__in=["OGB", "HCB"]).select_related("branch")
    for customer in customers.filter(branch__country="CN"):
        assert HAN.search(customer.name_local), customer.name_local
        assert customer.name_latin.isascii() and customer.name_latin, customer.name_latin
    for customer in customers.filter(branch__country__in=["GB", "US"]):
        assert customer.name_local.isascii() and not HAN.search(customer.name_local)
    hk = customers.filter(branch__country="HK", kind="retail").first()
    assert hk is not None and HAN.search(hk.name_local)
    corporate_cn = customers.filter(branch__country="CN", kind="corporate")
    assert corporate_cn.exists() and all(c.name_local.endswith("有限公司") for c in corporate_cn)
    # Traditional characters in Hong Kong, simplified in the mainland.
    assert customers.filter(branch__country="HK", name_local__regex="[陳張黃劉吳鄭謝羅馬葉蔡麥]").exists()
    assert not customers.filter(branch__country="CN", name_local__regex="[陳張黃劉吳鄭謝羅]").exists()


def test_identity_numbers_and_phones_are_valid_and_findable():
    seed()
    documents = list(IdentityDocument.objects.all())
    resident_ids = [d for d in documents if d.doc_type == IdentityDocument.Type.RESIDENT_ID]
    assert len(resident_ids) > COUNT / 3
    for document in resident_ids:
        assert pii.resident_id_is_valid(document.clear_number()), document.number_masked
    for document in random.Random(1).sample(documents, 30):
        number = document.clear_number()
        assert number and document.number_masked == pii.mask_id(number)
        assert number not in document.number_encrypted
        found = IdentityDocument.objects.filter(bank_id=document.bank_id, number_hash=pii.keyed_hash(number))
        assert document.customer_id in set(found.values_list("customer_id", flat=True))
    phones = ContactPoint.objects.filter(kind=ContactPoint.Kind.MOBILE)
    assert phones.count() >= COUNT
    for value in phones.values_list("value", flat=True):
        number = phonenumbers.parse(value)
        assert phonenumbers.is_valid_number(number), value
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == value
    for value in ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL).values_list("value", flat=True):
        assert re.fullmatch(r"[a-z0-9.]+@example\.(com|org)", value), value


def test_every_customer_has_one_primary_manager_of_its_branch_or_none():
    seed()
    customers = Customer.objects.filter(bank__code__in=["OGB", "HCB"])
    unassigned = customers.filter(primary_manager__isnull=True).count()
    assert 0 < unassigned < COUNT * 0.2
    seen_by = Counter()
    for manager in Staff.objects.filter(groups__name="customer_manager", bank__code__in=["OGB", "HCB"]):
        for customer_id, branch_id, manager_id in Customer.objects.visible_to(manager).values_list(
            "pk", "branch_id", "primary_manager_id"
        ):
            assert manager_id == manager.pk and branch_id == manager.branch_id
            seen_by[customer_id] += 1
    assigned = set(customers.filter(primary_manager__isnull=False).values_list("pk", flat=True))
    assert set(seen_by) == assigned
    assert set(seen_by.values()) == {1}


def test_name_search_finds_demo_customers_by_two_characters_and_latin_prefix():
    seed()
    customers = Customer.objects.filter(bank__code__in=["OGB", "HCB"])
    target = customers.filter(branch__country="CN", kind="retail").order_by("number")[5]
    fragment = target.name_local[:2]
    assert len(fragment) == 2 and all(HAN.match(ch) for ch in fragment)
    found = filter_by_name(customers, fragment)
    assert target in found
    assert all(fragment in c.name_local or fragment in c.name_latin for c in found)
    latin = target.name_latin.split()[0].lower()[:4]
    assert target in filter_by_name(customers, latin)


def test_same_seed_same_rows_and_other_seed_other_rows():
    seed()
    context = customer_demo.build_context(seed=7)
    bank = context.banks[0]

    def rows(seed_value):
        ids = customer_demo.IdAllocator({kind: 1 for kind in customer_demo.SEQUENCED})
        return customer_demo.generate_chunk(context, bank, 1, 150, random.Random(seed_value), ids)

    first, again, other = rows(7), rows(7), rows(8)
    assert first == again
    assert first["customer"] != other["customer"]
    assert len(first["customer"]) == 150 and first["holding"] and first["identity"]


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
