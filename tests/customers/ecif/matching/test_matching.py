"""Identity resolution of source records (customers.ecif.matching.services) on hand-made pairs."""

import datetime
import decimal

import pytest

from customers.ecif.feeds.models import SourceRecord
from customers.ecif.matching import services as matching
from customers.ecif.matching.models import MatchCandidate, MatchRule
from customers.ecif.matching.rules import rules_for
from customers.ecif.matching.services import find_duplicates, resolve_source_records
from customers.master.models import ContactPoint, Customer, IdentityDocument, RetailProfile
from ocrm import pii
from sysadmin.parameters.models import SystemParameter
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(1985, 3, 12)
SH_ADDRESS = "上海市浦东新区世纪大道100号"


def golden(
    org,
    number="C9000000001",
    *,
    name_local="王小明",
    name_latin="Wang Xiaoming",
    birth=BIRTH,
    id_number="310101198503120011",
    phone="+8613812345678",
    email="wxm@example.com",
    address=SH_ADDRESS,
    kind="retail",
):
    customer = make_customer(number, org.a_sh, name_local=name_local, name_latin=name_latin, kind=kind)
    if kind == "retail":
        RetailProfile.objects.filter(customer=customer).update(birth_date=birth)
    if id_number:
        document = IdentityDocument(bank_id=customer.bank_id, customer=customer, doc_type="resident_id", issuing_country="CN")
        document.set_number(id_number)
        document.save()
    if phone:
        ContactPoint.objects.create(bank_id=customer.bank_id, customer=customer, kind="mobile", value=phone, is_primary=True)
    if email:
        ContactPoint.objects.create(bank_id=customer.bank_id, customer=customer, kind="email", value=email)
    if address:
        customer.addresses.create(bank_id=customer.bank_id, kind="home", country="CN", line1=address)
    return customer


def record(
    org,
    key,
    *,
    name_local="王小明",
    name_latin="Wang Xiaoming",
    birth=BIRTH,
    id_number="310101198503120011",
    phone="+8613812345678",
    email="wxm@example.com",
    address=SH_ADDRESS,
    kind="retail",
    system="core",
    registration_code="",
    id_type="resident_id",
):
    return SourceRecord.objects.create(
        bank_id=org.bank_a.pk,
        source_system=system,
        source_key=key,
        business_date=datetime.date(2026, 11, 23),
        kind=kind,
        name_local=name_local,
        name_latin=name_latin,
        birth_date=birth,
        id_type=id_type if id_number else "",
        id_number_hash=pii.keyed_hash(id_number) if id_number else "",
        id_number_encrypted=pii.encrypt(id_number) if id_number else "",
        id_number_masked=pii.mask_id(id_number) if id_number else "",
        registration_code=registration_code,
        phone=phone,
        email=email,
        address=address,
        branch_code="A-SH",
    )


def test_deterministic_identity_match_links_to_the_existing_customer(org):
    existing = golden(org)
    source = record(org, "K1", name_local="王晓明", phone="+8613900000000", email="", address="")

    counts = resolve_source_records(org.bank_a.pk)

    source.refresh_from_db()
    assert counts == {"matched": 1, "created": 0, "merged": 0, "review": 0}
    assert source.customer_id == existing.pk and source.match_status == "matched"
    # The record brings its new phone to the golden record; the golden name is not overwritten.
    assert existing.contact_points.filter(value="+8613900000000").exists()
    existing.refresh_from_db()
    assert existing.name_local == "王小明" and "core" in existing.source_systems


def test_records_sharing_an_identity_become_one_new_customer_with_survivorship(org):
    MatchRule.objects.create(
        bank=org.bank_a,
        name="retail scored",
        kind="scored",
        applies_to="retail",
        fields={"name": 35, "birth_date": 25, "phone": 15, "email": 10, "address": 15},
        upper_threshold=90,
        lower_threshold=70,
        source_priority=["core", "cards"],
    )
    cards = record(
        org,
        "CARD-1",
        system="cards",
        name_local="李雷",
        name_latin="",
        birth=None,
        id_number="110101199001010015",
        phone="",
        email="",
        address="",
    )
    core = record(
        org,
        "CORE-1",
        system="core",
        name_local="李 雷",
        name_latin="Li Lei",
        birth=datetime.date(1990, 1, 1),
        id_number="110101199001010015",
        phone="+8613700000001",
        email="",
        address="",
    )

    counts = resolve_source_records(org.bank_a.pk)

    cards.refresh_from_db()
    core.refresh_from_db()
    assert counts["created"] == 2 and Customer.objects.filter(bank=org.bank_a).count() == 1
    customer = Customer.objects.get(bank=org.bank_a)
    assert cards.customer_id == core.customer_id == customer.pk
    assert cards.match_status == core.match_status == "new"
    # The trusted source (core) wins; the profile's birth date comes from the one record holding it.
    assert customer.name_local == "李 雷" and customer.name_latin == "Li Lei"
    assert customer.retail_profile.birth_date == datetime.date(1990, 1, 1)
    assert sorted(customer.source_systems) == ["cards", "core"]
    assert customer.number.startswith("C") and len(customer.number) == 11
    assert customer.branch == org.a_sh
    assert "li" in customer.name_grams and "雷" in customer.name_grams
    assert IdentityDocument.objects.filter(customer=customer, number_hash=pii.keyed_hash("110101199001010015")).count() == 1
    assert customer.contact_points.get().value == "+8613700000001"

    # Running again resolves nothing more; an updated record keeps its customer.
    assert resolve_source_records(org.bank_a.pk) == {"matched": 0, "created": 0, "merged": 0, "review": 0}
    SourceRecord.objects.filter(pk=cards.pk).update(match_status="unresolved", email="lilei@example.com")
    assert resolve_source_records(org.bank_a.pk)["matched"] == 1
    assert customer.contact_points.filter(value="lilei@example.com").exists()


def test_new_golden_records_are_numbered_in_the_banks_own_scheme(org):
    """Matching numbers the customers it creates like the pages do (issue 12.11): the bank's
    prefix and digits, past the highest number the bank already holds in that scheme."""
    SystemParameter.objects.create(bank=org.bank_a, key="customers.number_prefix", value_type="string", value="2")
    SystemParameter.objects.create(bank=org.bank_a, key="customers.number_digits", value_type="int", value="11")
    make_customer("200000000777", org.a_sh)
    record(org, "NEW-1", name_local="韩梅梅", id_number="110101199202020022", phone="+8613700000002")

    assert resolve_source_records(org.bank_a.pk)["created"] == 1

    created = Customer.objects.get(bank=org.bank_a, name_local="韩梅梅")
    assert created.number.startswith("2") and len(created.number) == 12
    assert int(created.number) > 200000000777


def test_typo_in_name_and_swapped_phone_goes_to_review(org):
    """Same person, other source without the ID: name typo (小 -> 晓), two phone digits swapped."""
    existing = golden(org)
    source = record(org, "K1", name_local="王晓明", name_latin="", id_number="", phone="+8613812345687")

    counts = resolve_source_records(org.bank_a.pk)

    source.refresh_from_db()
    assert counts == {"matched": 0, "created": 1, "merged": 0, "review": 1}
    assert source.match_status == "review" and source.customer_id != existing.pk
    candidate = MatchCandidate.objects.get()
    assert {candidate.customer_a_id, candidate.customer_b_id} == {existing.pk, source.customer_id}
    assert decimal.Decimal(70) <= candidate.score < decimal.Decimal(90)
    assert candidate.comparison["birth_date"] == 1 and candidate.comparison["email"] == 1
    assert 0.8 < candidate.comparison["phone"] < 1
    assert candidate.status == "pending"


def test_same_person_without_id_and_exact_details_merges_automatically(org):
    existing = golden(org)
    source = record(org, "K1", id_number="", name_local="王小明")

    counts = resolve_source_records(org.bank_a.pk)

    source.refresh_from_db()
    assert counts == {"matched": 0, "created": 0, "merged": 1, "review": 0}
    assert source.customer_id == existing.pk and source.match_status == "matched"
    assert not MatchCandidate.objects.exists()


def test_a_crowded_name_block_proposes_nobody(org, monkeypatch):
    """A birth date shared by more customers of the same initial than MAX_NAME_BLOCK_SIZE (a
    source's placeholder for "unknown") is no evidence: such a block pairs nobody."""
    existing = golden(org, phone="", email="")
    for i in range(2):
        golden(
            org,
            f"C90000000{i + 2:02d}",
            name_local=f"王{'甲乙'[i]}",
            name_latin="",
            id_number="",
            phone="",
            email="",
            address=f"北京市{i}号",
        )
    monkeypatch.setattr(matching, "MAX_NAME_BLOCK_SIZE", 2)
    crowded = record(org, "K1", id_number="", phone="", email="")
    assert resolve_source_records(org.bank_a.pk) == {"matched": 0, "created": 1, "merged": 0, "review": 0}
    crowded.refresh_from_db()
    assert crowded.customer_id != existing.pk

    # The same block (now four customers with K1's new one) under a cap it fits in.
    monkeypatch.setattr(matching, "MAX_NAME_BLOCK_SIZE", 4)
    found = record(org, "K2", id_number="", phone="", email="")
    assert resolve_source_records(org.bank_a.pk) == {"matched": 0, "created": 0, "merged": 1, "review": 0}
    found.refresh_from_db()
    assert found.customer_id == existing.pk


def test_twins_with_the_same_birth_date_are_not_merged(org):
    golden(org, name_local="张明", name_latin="Zhang Ming", id_number="310101198503120011")
    twin = record(org, "TWIN", name_local="张亮", name_latin="Zhang Liang", id_number="310101198503120038")

    counts = resolve_source_records(org.bank_a.pk)

    twin.refresh_from_db()
    assert counts == {"matched": 0, "created": 1, "merged": 0, "review": 0}
    assert twin.match_status == "new"
    assert not MatchCandidate.objects.exists()


def test_father_and_son_with_the_same_name_are_not_merged(org):
    father = golden(
        org, name_local="李建国", name_latin="Li Jianguo", birth=datetime.date(1960, 5, 1), id_number="310101196005010012"
    )
    # The son's record from a system without identity numbers: same name, phone and address.
    son = record(
        org, "SON", name_local="李建国", name_latin="Li Jianguo", birth=datetime.date(1988, 9, 20), id_number="", email=""
    )

    counts = resolve_source_records(org.bank_a.pk)

    son.refresh_from_db()
    assert counts["created"] == 1 and counts["merged"] == 0 and counts["review"] == 0
    assert son.customer_id != father.pk
    assert not MatchCandidate.objects.exists()


def test_retail_and_corporate_never_match(org):
    company = golden(
        org, number="C9000000002", kind="corporate", name_local="王小明贸易有限公司", name_latin="", birth=None, id_number=""
    )
    company.corporate_profile.registration_code = "91310000MA1FL0000X"
    company.corporate_profile.save()
    person = record(
        org,
        "P1",
        kind="retail",
        name_local="王小明贸易有限公司",
        name_latin="",
        id_number="",
        registration_code="91310000MA1FL0000X",
    )
    firm = record(
        org,
        "F1",
        kind="corporate",
        name_local="王小明贸易有限公司",
        name_latin="",
        id_number="",
        birth=None,
        registration_code="91310000ma1fl0000x",
    )

    resolve_source_records(org.bank_a.pk)

    person.refresh_from_db()
    firm.refresh_from_db()
    assert firm.customer_id == company.pk and firm.match_status == "matched"
    assert person.customer_id != company.pk and person.customer.kind == "retail"
    assert not MatchCandidate.objects.exists()


def test_find_duplicates_queues_pairs_and_remembers_different(org):
    a = golden(org, number="C9000000011")
    b = golden(org, number="C9000000012", name_local="王晓明", name_latin="", id_number="", phone="+8613812345687")
    golden(
        org,
        number="C9000000013",
        name_local="赵六",
        name_latin="Zhao Liu",
        id_number="",
        phone="+8613000000000",
        email="zl@example.com",
        address="北京",
    )

    assert find_duplicates(org.bank_a.pk) == {"queued": 1, "merged": 0}
    candidate = MatchCandidate.objects.get()
    assert (candidate.customer_a_id, candidate.customer_b_id) == (a.pk, b.pk)
    assert candidate.found_by == "duplicate_scan"

    MatchCandidate.objects.filter(pk=candidate.pk).update(status="different")
    assert find_duplicates(org.bank_a.pk) == {"queued": 0, "merged": 0}
    assert MatchCandidate.objects.count() == 1


def test_rules_are_per_bank_and_validated(org):
    rule = MatchRule(
        bank=org.bank_a,
        name="bad",
        kind="scored",
        applies_to="retail",
        fields={"shoe_size": 3},
        upper_threshold=90,
        lower_threshold=70,
    )
    with pytest.raises(Exception, match="shoe_size"):
        rule.full_clean()
    rule = MatchRule(
        bank=org.bank_a,
        name="bad",
        kind="scored",
        applies_to="retail",
        fields={"name": 50},
        upper_threshold=60,
        lower_threshold=70,
    )
    with pytest.raises(Exception, match="Thresholds"):
        rule.full_clean()
    MatchRule.objects.create(
        bank=org.bank_a,
        name="strict",
        kind="scored",
        applies_to="retail",
        fields={"name": 50, "birth_date": 50},
        upper_threshold=99,
        lower_threshold=95,
    )
    assert rules_for(org.bank_a.pk)["retail"].upper == 99
    assert rules_for(org.bank_b.pk)["retail"].upper == 90
