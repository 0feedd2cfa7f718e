"""Merging and unmerging customers (customers.ecif.matching.merge) and the review queue pages."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from customers.ecif.feeds.models import SourceRecord
from customers.ecif.matching import merge
from customers.ecif.matching.models import MatchCandidate, MatchRule, MergeRecord
from customers.ecif.matching.services import find_duplicates
from customers.lifecycle.models import LifecycleChange
from customers.master.filtersets import exact_match_condition
from customers.master.models import (
    ContactPoint,
    Customer,
    CustomerDocument,
    CustomerGroup,
    CustomerNote,
    CustomerTag,
    Holding,
    HoldingBalance,
    Household,
    IdentityDocument,
    Relationship,
    RetailProfile,
    ServiceContact,
    Tag,
    Transaction,
)
from ocrm.approvals import inbox
from tests.factories import make_customer, make_product, make_staff

pytestmark = pytest.mark.django_db

# Tables whose content a merge + unmerge must leave exactly as it was.
SKIP_TABLES = {"customers_matchcandidate", "customers_mergerecord"}


def dump_customer_tables():
    """Every row of every customers_* table (and the tables pointing at customers), as text."""
    tables = sorted(t for t in connection.introspection.table_names() if t.startswith("customers_") and t not in SKIP_TABLES)
    dump = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT t::text FROM "{table}" t ORDER BY 1')
            dump[table] = [row[0] for row in cursor.fetchall()]
    return dump


def rich_customer(org, number, name_local, *, source_system, phone, when):
    customer = make_customer(number, org.a_sh, org.manager, name_local=name_local, name_latin="Wang Wei")
    Customer.objects.filter(pk=customer.pk).update(source_systems=[source_system], updated_at=when)
    RetailProfile.objects.filter(customer=customer).update(birth_date=datetime.date(1980, 1, 2))
    document = IdentityDocument(bank_id=customer.bank_id, customer=customer, doc_type="passport", issuing_country="CN")
    document.set_number(f"E{number[-6:]}")
    document.save()
    ContactPoint.objects.create(bank_id=customer.bank_id, customer=customer, kind="mobile", value=phone, is_primary=True)
    customer.addresses.create(bank_id=customer.bank_id, kind="home", country="CN", line1=f"{name_local}路1号")
    product = make_product(org.bank_a)
    holding = Holding.objects.create(
        bank_id=customer.bank_id, customer=customer, product=product, account_number=f"ACC-{number}", currency="CNY", balance=100
    )
    for day in range(3):
        Transaction.objects.create(
            bank_id=customer.bank_id,
            customer_id=customer.pk,
            holding=holding,
            occurred_at=timezone.now() - datetime.timedelta(days=day),
            amount=10 + day,
            currency="CNY",
            direction="C",
            channel="counter",
            txn_type="deposit",
        )
        HoldingBalance.objects.create(
            bank_id=customer.bank_id,
            customer_id=customer.pk,
            holding=holding,
            business_date=datetime.date(2026, 11, 1 + day),
            balance=100,
            balance_base=100,
        )
    ServiceContact.objects.create(
        bank_id=customer.bank_id, customer=customer, staff=org.manager, channel="phone", subject=f"call {number}"
    )
    CustomerNote.objects.create(bank_id=customer.bank_id, customer=customer, author=org.manager, text=f"note {number}")
    doc = CustomerDocument(
        bank_id=customer.bank_id, customer=customer, doc_type="id_scan", original_name="a.png", content_type="image/png", size=4
    )
    doc.file.save("a.png", ContentFile(b"\x89PNG"))
    LifecycleChange.objects.create(bank_id=customer.bank_id, customer=customer, stage_to="active")
    SourceRecord.objects.create(
        bank_id=customer.bank_id,
        source_system=source_system,
        source_key=number,
        business_date=datetime.date(2026, 11, 1),
        kind="retail",
        name_local=name_local,
        customer=customer,
        match_status="matched",
    )
    return Customer.objects.get(pk=customer.pk)


@pytest.fixture
def pair(org, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    survivor = rich_customer(
        org,
        "C0000000101",
        "王伟",
        source_system="cards",
        phone="+8613800000001",
        when=timezone.now() - datetime.timedelta(days=30),
    )
    merged = rich_customer(org, "C0000000102", "王 伟", source_system="core", phone="+8613800000002", when=timezone.now())
    third = make_customer("C0000000103", org.a_sh, org.manager, name_local="李娜", name_latin="Li Na")
    # Rows that cannot simply move: a relation between the two, the same group and tag on both.
    Relationship.objects.create(bank_id=org.bank_a.pk, from_customer=merged, to_customer=survivor, kind="spouse")
    Relationship.objects.create(bank_id=org.bank_a.pk, from_customer=merged, to_customer=third, kind="parent")
    Relationship.objects.create(bank_id=org.bank_a.pk, from_customer=third, to_customer=merged, kind="sibling")
    group = CustomerGroup.objects.create(bank=org.bank_a, name="VIP list", owner=org.manager)
    group.members.add(survivor, merged)
    CustomerGroup.objects.create(bank=org.bank_a, name="Only B", owner=org.manager).members.add(merged)
    tag = Tag.objects.create(bank=org.bank_a, name="VIP")
    CustomerTag.objects.create(customer=survivor, tag=tag)
    CustomerTag.objects.create(customer=merged, tag=tag)
    Household.objects.create(bank=org.bank_a, name="Wang family", primary_member=merged)
    return survivor, merged, third


def test_merge_moves_everything_and_unmerge_restores_the_exact_before_state(org, pair):
    survivor, merged, third = pair
    before = dump_customer_tables()

    record = merge.merge_customers(survivor, merged, org.admin, reason="same passport holder")

    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert merged.merged_into_id == survivor.pk and survivor.merged_into_id is None
    assert survivor.number == "C0000000101"
    for model in (
        Holding,
        ServiceContact,
        CustomerNote,
        CustomerDocument,
        IdentityDocument,
        ContactPoint,
        LifecycleChange,
        SourceRecord,
    ):
        assert not model.objects.filter(customer=merged).exists(), model
    assert not Transaction.objects.filter(customer_id=merged.pk).exists()
    assert Transaction.objects.filter(customer_id=survivor.pk).count() == 6
    assert HoldingBalance.objects.filter(customer_id=survivor.pk).count() == 6
    assert Relationship.objects.filter(from_customer=survivor, to_customer=third, kind="parent").exists()
    assert not Relationship.objects.filter(from_customer=survivor, to_customer=survivor).exists()
    assert set(survivor.groups.values_list("name", flat=True)) == {"VIP list", "Only B"}
    assert CustomerTag.objects.filter(customer=survivor).count() == 1
    assert Household.objects.get().primary_member_id == survivor.pk
    # Survivorship: the more recent record (merged, updated today) wins the name; sources are united.
    assert survivor.name_local == "王 伟"
    assert survivor.source_systems == ["cards", "core"]
    assert record.before_state["moved"]["customers.holding.customer_id"]
    assert "customers.relationship.from_customer_id" in record.before_state["deleted"]

    merge.unmerge(record, org.admin, reason="two people after all")

    assert dump_customer_tables() == before
    record.refresh_from_db()
    assert record.unmerged_by == org.admin and record.unmerged_at is not None
    # Undoing a merge remembers the pair as different: never proposed again.
    assert MatchCandidate.objects.get(customer_a=survivor, customer_b=merged).status == "different"


def test_trusted_source_priority_beats_recency(org, pair):
    survivor, merged, _third = pair
    MatchRule.objects.create(
        bank=org.bank_a,
        name="retail",
        kind="scored",
        applies_to="retail",
        fields={"name": 50, "birth_date": 50},
        upper_threshold=90,
        lower_threshold=70,
        source_priority=["cards", "core"],
    )
    merge.merge_customers(survivor, merged, org.admin)
    survivor.refresh_from_db()
    assert survivor.name_local == "王伟"  # cards is trusted over core, although core's record is newer


def test_retail_and_corporate_are_never_merged(org):
    person = make_customer("C0000000201", org.a_sh)
    company = make_customer("C0000000202", org.a_sh, kind="corporate", name_local="王伟有限公司")
    with pytest.raises(merge.MergeError, match="never merged"):
        merge.merge_customers(person, company, org.admin)
    assert Customer.objects.filter(merged_into__isnull=False).count() == 0


def test_unmerge_newest_first(org, pair):
    survivor, merged, third = pair
    first = merge.merge_customers(survivor, merged, org.admin)
    merge.merge_customers(survivor, third, org.admin)
    with pytest.raises(merge.MergeError, match="C0000000103"):
        merge.unmerge(first, org.admin)


def test_merged_number_by_url_lands_on_the_survivor(client, org, pair):
    survivor, merged, _third = pair
    merge.merge_customers(survivor, merged, org.admin)
    client.force_login(org.supervisor)

    response = client.get(reverse("customers:detail", args=[merged.number]))
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[survivor.number])
    response = client.get(reverse("customers:transactions", args=[merged.number]))
    assert response.status_code == 302 and survivor.number in response["Location"]
    assert merge.resolve_number(org.bank_a.pk, merged.number).pk == survivor.pk


def test_search_by_merged_number_finds_the_survivor(org, pair):
    survivor, merged, _third = pair
    merge.merge_customers(survivor, merged, org.admin)
    condition = exact_match_condition(merged.number, bank_id=org.bank_a.pk, region="CN", kinds=["number"])
    assert list(Customer.objects.filter(condition)) == [survivor]


# --- the review queue pages -----------------------------------------------------------------------------


@pytest.fixture
def candidate(org, pair):
    survivor, merged, _third = pair
    return MatchCandidate.objects.create(
        bank_id=org.bank_a.pk,
        customer_a=survivor,
        customer_b=merged,
        score=85,
        comparison={"name": 0.67, "birth_date": 1, "phone": 0.93, "email": None, "address": 0.5},
    )


def test_review_pages_show_the_pair_side_by_side(client, org, candidate, django_assert_max_num_queries):
    client.force_login(org.supervisor)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("customers:match_review_list"))
    assert response.status_code == 200
    assert "C0000000102" in response.content.decode()
    with django_assert_max_num_queries(25):
        response = client.get(reverse("customers:match_review", args=[candidate.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="table-warning differs"') >= 3  # name, phones, address, documents differ
    assert "+8613800000001" in html  # a supervisor holds unmask_pii
    assert [s.key for s in inbox.sources_for(org.supervisor)].count("merge_review") == 1
    assert list(inbox._sources["merge_review"].pending(org.supervisor)) == [candidate]


def test_phones_are_masked_without_the_unmask_permission(client, org, candidate):
    org.supervisor.groups.clear()
    org.supervisor.user_permissions.add(
        *Permission.objects.filter(codename__in=["review_match", "view_customer", "scope_subtree"])
    )
    client.force_login(org.supervisor)
    html = client.get(reverse("customers:match_review", args=[candidate.pk])).content.decode()
    assert "+8613800000001" not in html and "0001" in html


def test_deciding_different_is_remembered(client, org, candidate):
    client.force_login(org.supervisor)
    response = client.post(reverse("customers:match_review", args=[candidate.pk]), {"decision": "different"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == "pending"  # a reason is required

    client.post(reverse("customers:match_review", args=[candidate.pk]), {"decision": "different", "reason": "brothers"})
    candidate.refresh_from_db()
    assert candidate.status == "different" and candidate.decided_by == org.supervisor
    find_duplicates(org.bank_a.pk)
    assert MatchCandidate.objects.filter(customer_a=candidate.customer_a, customer_b=candidate.customer_b).count() == 1
    assert MatchCandidate.objects.get(pk=candidate.pk).status == "different"


def test_deciding_same_merges_into_the_chosen_survivor(client, org, candidate):
    client.force_login(org.supervisor)
    response = client.post(
        reverse("customers:match_review", args=[candidate.pk]),
        {"decision": "same", "survivor": candidate.customer_b_id, "reason": "same passport"},
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == "merged"
    assert Customer.objects.get(pk=candidate.customer_a_id).merged_into_id == candidate.customer_b_id
    record = MergeRecord.objects.get()
    assert record.merged_by == org.supervisor and record.candidate == candidate

    # The supervisor may see the history but not undo it; the administrator may.
    response = client.post(reverse("customers:unmerge", args=[record.pk]), {"reason": "wrong"})
    assert response.status_code == 403
    assert client.get(reverse("customers:merge_detail", args=[record.pk])).status_code == 200
    client.force_login(org.admin)
    response = client.post(reverse("customers:unmerge", args=[record.pk]), {"reason": "wrong"})
    assert response.status_code == 302
    assert Customer.objects.get(pk=candidate.customer_a_id).merged_into_id is None


def test_pairs_outside_the_subtree_are_404(client, org, candidate):
    beijing = make_staff_for_branch(org)
    client.force_login(beijing)
    assert client.get(reverse("customers:match_review", args=[candidate.pk])).status_code == 404
    response = client.post(reverse("customers:match_review", args=[candidate.pk]), {"decision": "different", "reason": "x"})
    assert response.status_code == 404
    assert "C0000000102" not in client.get(reverse("customers:match_review_list")).content.decode()
    client.force_login(org.b_supervisor)
    assert client.get(reverse("customers:match_review", args=[candidate.pk])).status_code == 404


def make_staff_for_branch(org):

    return make_staff("a.sup.bj", branch=org.a_bj, roles=["branch_supervisor"])


def test_merge_keeps_one_primary_contact_per_kind_and_unmerge_restores_it(org, pair):
    survivor, merged, _third = pair
    own = ContactPoint.objects.get(customer=survivor, kind="mobile", is_primary=True)
    theirs = ContactPoint.objects.get(customer=merged, kind="mobile", is_primary=True)
    email = ContactPoint.objects.create(
        bank_id=merged.bank_id, customer=merged, kind="email", value="w@example.com", is_primary=True
    )

    record = merge.merge_customers(survivor, merged, org.admin)

    primaries = ContactPoint.objects.filter(customer=survivor, is_primary=True)
    # The survivor's mobile stays primary; the merged email is the only one of its kind, so it stays primary.
    assert set(primaries.values_list("pk", flat=True)) == {own.pk, email.pk}
    assert record.before_state["demoted_primary_contacts"] == [theirs.pk]

    merge.unmerge(record, org.admin)

    theirs.refresh_from_db()
    assert theirs.customer_id == merged.pk and theirs.is_primary
