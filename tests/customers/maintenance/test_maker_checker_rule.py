"""The one maker-checker rule of customer fields (ocrm.approvals.services.guarded_fields, declared
by customers.master.services) on every path that writes them: batch maintenance refuses their
columns, the edit page turns them into a request, and a source-system feed never overwrites them
(the ECIF resolution only fills empty fields; docs/architecture.md, "Maker-checker")."""

import datetime

import pytest

from customers.ecif.feeds.models import SourceRecord
from customers.ecif.matching.services import resolve_source_records
from customers.maintenance import services as maintenance
from customers.master import services
from customers.master.models import Customer, IdentityDocument, RetailProfile
from ocrm import pii
from ocrm.approvals import services as approvals
from ocrm.imports.readers import FileRejected
from sysadmin.parameters import services as parameters
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

ID_NUMBER = "310101198503120011"


def test_the_rule_follows_the_banks_checker_fields(org):
    assert approvals.guarded_fields(Customer, org.bank_a.pk) == {"name_local", "name_latin", "branch", "primary_manager"}
    assert approvals.guarded_fields(RetailProfile, org.bank_a.pk) == {"birth_date"}
    assert "doc_type" in approvals.guarded_fields(IdentityDocument, org.bank_a.pk)
    parameters.set_value("customers.checker_fields", '["occupation"]', bank=org.bank_a)
    assert approvals.guarded_fields(Customer, org.bank_a.pk) == {"primary_manager"}
    assert approvals.guarded_fields(RetailProfile, org.bank_a.pk) == {"occupation"}
    assert approvals.guarded_fields(IdentityDocument, org.bank_a.pk) == set()
    assert approvals.guarded_fields(Customer, org.bank_b.pk) >= {"name_local"}  # the other bank keeps its own


def test_batch_maintenance_refuses_every_guarded_column(org):
    """A column the rule guards (also one the bank adds, and the manager) rejects the file."""
    parameters.set_value("customers.checker_fields", '["name_local", "occupation"]', bank=org.bank_a)
    spec = maintenance.spec_for(org.bank_a)
    for column in ("name_local", "occupation", "primary_manager"):
        with pytest.raises(FileRejected, match=column):
            spec.check_columns(["customer_number", column])
    spec.check_columns(["customer_number", "employer", "risk_level"])  # no checker needed: accepted
    assert "occupation" not in {c.key for c in spec.for_template().columns}


def test_the_edit_page_service_sends_a_guarded_field_to_a_checker(org):
    customer = make_customer("C-RULE-1", org.a_sh, org.manager, name_local="王伟")
    result = services.update_customer(customer, {"name_local": "王伟伟", "risk_level": "R2"}, org.manager)
    customer.refresh_from_db()
    assert set(result.pending) == {"name_local"} and customer.name_local == "王伟" and customer.risk_level == "R2"


def test_a_source_system_feed_never_overwrites_a_guarded_field(org):
    """ECIF is the system of record for new customers and for fields still empty; it never
    overwrites a value of the golden record, so a checker field changes only through a request."""
    customer = make_customer("C-RULE-2", org.a_sh, org.manager, name_local="王小明", name_latin="Wang Xiaoming")
    RetailProfile.objects.filter(customer=customer).update(birth_date=datetime.date(1985, 3, 12))
    document = IdentityDocument(bank_id=customer.bank_id, customer=customer, doc_type="resident_id", issuing_country="CN")
    document.set_number(ID_NUMBER)
    document.save()
    SourceRecord.objects.create(
        bank_id=org.bank_a.pk,
        source_system="core",
        source_key="K-RULE",
        business_date=datetime.date(2026, 11, 23),
        kind="retail",
        name_local="王晓明",  # another name, and another birth date, for the same identity
        name_latin="Wang Xiao Ming",
        birth_date=datetime.date(1985, 3, 13),
        id_type="resident_id",
        id_number_hash=pii.keyed_hash(ID_NUMBER),
        id_number_encrypted=pii.encrypt(ID_NUMBER),
        id_number_masked=pii.mask_id(ID_NUMBER),
        branch_code="A-SH",
    )
    assert resolve_source_records(org.bank_a.pk)["matched"] == 1
    customer.refresh_from_db()
    assert (customer.name_local, customer.name_latin) == ("王小明", "Wang Xiaoming")
    assert customer.retail_profile.birth_date == datetime.date(1985, 3, 12)
    assert "core" in customer.source_systems  # the feed did reach the customer
