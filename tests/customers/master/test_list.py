"""Customer search and list: data scope in list, search and export; the one-box search
(name fragments, customer number, ID number, phone, account number); filters; the masked
page and export with the export's audit entry; bulk tag / group actions; the teller's exact look-up;
bounded query counts."""

import io
import threading
from decimal import Decimal
from unittest.mock import patch

import openpyxl
import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.http import QueryDict
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.master import search
from customers.master.filtersets import CustomerFilterSet
from customers.master.models import (
    ContactPoint,
    Customer,
    CustomerGroup,
    CustomerNamePair,
    CustomerTag,
    Holding,
    IdentityDocument,
    Tag,
)
from customers.master.search import estimated_rows
from customers.master.tables import CustomerExportTable
from customers.master.views import CustomerListView
from ocrm import pii
from ocrm.audit.models import AuditLog
from ocrm.scoping import subtree_branch_ids
from sysadmin.parameters.models import SystemParameter
from tests.factories import make_customer, make_product

pytestmark = pytest.mark.django_db

LIST = "customers:list"


def resident_id(first17):
    total = sum(int(d) * w for d, w in zip(first17, pii.RESIDENT_ID_WEIGHTS, strict=True))
    return first17 + pii.RESIDENT_ID_CHECK[total % 11]


ID_SH = resident_id("31010419800101123")
ID_BJ = resident_id("11010519491231002")
PHONE_SH = "+8613812345678"
PHONE_BJ = "+8613998765432"
ACCOUNT_SH = "6222020000001111"
ACCOUNT_BJ = "6222020000009999"


def add_identity(customer, number, doc_type=IdentityDocument.Type.RESIDENT_ID):
    document = IdentityDocument(bank_id=customer.bank_id, customer=customer, doc_type=doc_type, issuing_country="CN")
    document.set_number(number)
    document.save()
    return document


def add_phone(customer, value):
    return ContactPoint.objects.create(
        bank_id=customer.bank_id, customer=customer, kind=ContactPoint.Kind.MOBILE, value=value, is_primary=True
    )


def add_account(customer, account_number):
    return Holding.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        product=make_product(customer.bank),
        account_number=account_number,
        currency="CNY",
        balance=Decimal("1000"),
    )


@pytest.fixture
def people(org):
    """Manager a.mgr.sh owns two customers at A-SH; a.mgr.sh1 one at A-SH-1 (inside the SH
    supervisor's subtree); a.mgr.bj one at A-BJ (outside it); bank B has a namesake."""
    c = {
        "sh_wang": make_customer(
            "C0001",
            org.a_sh,
            org.manager,
            name_local="王伟",
            name_latin="Wang Wei",
            aum=Decimal("500000"),
            tier="wealth",
            star_rating=5,
            lifecycle_stage="active",
        ),
        "sh_li": make_customer(
            "C0002",
            org.a_sh,
            org.manager,
            name_local="李娜",
            name_latin="Li Na",
            aum=Decimal("1000"),
            kind="corporate",
            lifecycle_stage="prospect",
        ),
        "sub_wang": make_customer(
            "C0003",
            org.a_sh_sub,
            org.manager_sub,
            name_local="王伟东",
            name_latin="Wang Weidong",
            aum=Decimal("20000"),
            star_rating=2,
        ),
        "bj_wang": make_customer(
            "C0004", org.a_bj, org.manager_bj, name_local="王伟", name_latin="Wang Wei", aum=Decimal("90000")
        ),
        "b_wang": make_customer("C0001", org.b_hk, org.b_manager, name_local="王伟", name_latin="Wong Wai"),
    }
    add_identity(c["sh_wang"], ID_SH)
    add_identity(c["bj_wang"], ID_BJ)
    add_phone(c["sh_wang"], PHONE_SH)
    add_phone(c["bj_wang"], PHONE_BJ)
    add_account(c["sh_wang"], ACCOUNT_SH)
    add_account(c["bj_wang"], ACCOUNT_BJ)
    return c


def as_user(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def listed(client, user, query=""):
    response = as_user(client, user).get(reverse(LIST) + query, follow=True)  # a search goes to ?s=<token>
    assert response.status_code == 200, response.status_code
    return sorted(row.record.number for row in response.context["table"].page.object_list)


def read_xlsx(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# --- scope ------------------------------------------------------------------------------------------


def test_manager_sees_only_own_customers_in_list_search_and_export(client, org, people):
    assert listed(client, org.manager) == ["C0001", "C0002"]
    assert listed(client, org.manager, "?q=王伟") == ["C0001"]
    assert listed(client, org.manager, "?q=C0004") == []
    assert listed(client, org.manager, f"?q={ID_BJ}") == []
    assert listed(client, org.manager, f"?q={PHONE_BJ}") == []
    assert listed(client, org.manager, f"?q={ACCOUNT_BJ}") == []
    _header, rows = read_xlsx(as_user(client, org.manager).get(reverse(LIST) + "?export=xlsx"))
    assert sorted(r["customer number"] for r in rows) == ["C0001", "C0002"]


def test_supervisor_sees_exactly_the_subtree(client, org, people):
    assert listed(client, org.supervisor) == ["C0001", "C0002", "C0003"]
    page = as_user(client, org.supervisor).get(reverse(LIST)).content.decode()
    # Row checkboxes belong to the bulk form; each number links to the customer's page.
    assert f'name="selection" value="{people["sh_wang"].pk}"' in page and 'form="bulk-form"' in page
    assert 'id="bulk-form"' in page and f'href="{people["sh_wang"].get_absolute_url()}"' in page
    _header, rows = read_xlsx(as_user(client, org.supervisor).get(reverse(LIST) + "?export=xlsx&q=王伟", follow=True))
    assert sorted(r["customer number"] for r in rows) == ["C0001", "C0003"]


def test_banks_never_see_each_other(client, org, people):
    assert listed(client, org.b_manager) == ["C0001"]
    response = as_user(client, org.b_manager).get(reverse(LIST) + "?q=王伟", follow=True)
    assert [r.record.pk for r in response.context["table"].page.object_list] == [people["b_wang"].pk]
    assert listed(client, org.b_manager, f"?q={ID_SH}") == []
    assert listed(client, org.b_supervisor, f"?q={ACCOUNT_SH}") == []
    bank_a_numbers = [r.record.pk for r in as_user(client, org.admin).get(reverse(LIST)).context["table"].page]
    assert people["b_wang"].pk not in bank_a_numbers and len(bank_a_numbers) == 4


def test_teller_browses_nothing(client, org, people):
    response = as_user(client, org.teller).get(reverse(LIST))
    assert list(response.context["table"].page.object_list) == []
    assert reverse("customers:lookup") in response.content.decode()


# --- search -----------------------------------------------------------------------------------------


def test_search_by_name_fragments(client, org, people):
    assert listed(client, org.admin, "?q=王伟") == ["C0001", "C0003", "C0004"]
    assert listed(client, org.admin, "?q=伟东") == ["C0003"]
    assert listed(client, org.admin, "?q=李") == ["C0002"]
    assert listed(client, org.admin, "?q=wan") == ["C0001", "C0003", "C0004"]
    assert listed(client, org.admin, "?q=Wang Weid") == ["C0003"]
    assert listed(client, org.admin, "?q=zhang") == []


def test_search_by_exact_keys(client, org, people):
    assert listed(client, org.admin, "?q=C0004") == ["C0004"]
    assert listed(client, org.admin, "?q=C000") == []  # a number is matched exactly, never as a prefix
    assert listed(client, org.admin, f"?q={ID_SH}") == ["C0001"]
    assert listed(client, org.admin, f"?q={ID_SH.lower()}") == ["C0001"]  # the X check digit in either case
    assert listed(client, org.admin, f"?q={ID_SH[:-1]}") == []
    assert listed(client, org.admin, "?q=138 1234 5678") == ["C0001"]  # national format, the user's country
    assert listed(client, org.admin, "?q=%2B86-139-9876-5432") == ["C0004"]
    assert listed(client, org.admin, f"?q={ACCOUNT_BJ}") == ["C0004"]
    assert listed(client, org.manager, f"?q={ID_SH}") == ["C0001"]


# --- filters ----------------------------------------------------------------------------------------


def test_filters(client, org, people):
    sup = org.supervisor
    assert listed(client, sup, "?branch=A-SH-1") == ["C0003"]
    assert listed(client, sup, "?branch=A-SH") == ["C0001", "C0002", "C0003"]
    response = as_user(client, sup).get(reverse(LIST) + "?branch=A-BJ")  # outside the subtree: an error, no rows
    assert response.status_code == 200 and list(response.context["table"].page.object_list) == []
    assert "branch" in response.context["filter"].errors
    assert listed(client, sup, "?manager=a.mgr.sh1") == ["C0003"]
    assert listed(client, sup, "?kind=corporate") == ["C0002"]
    assert listed(client, sup, "?lifecycle=active") == ["C0001"]
    assert listed(client, sup, "?tier=wealth") == ["C0001"]
    assert listed(client, sup, "?stars=2") == ["C0003"]
    assert listed(client, sup, "?aum_min=10000") == ["C0001", "C0003"]
    assert listed(client, sup, "?aum_min=10000&aum_max=100000") == ["C0003"]
    tag = Tag.objects.create(bank=org.bank_a, name="VIP")
    CustomerTag.objects.create(customer=people["sh_li"], tag=tag)
    CustomerTag.objects.create(customer=people["bj_wang"], tag=tag)
    assert listed(client, sup, f"?tag={tag.pk}") == ["C0002"]
    group = CustomerGroup.objects.create(bank=org.bank_a, owner=sup, name="Mine")
    group.members.add(people["sub_wang"], people["bj_wang"])
    assert listed(client, sup, f"?group={group.pk}") == ["C0003"]
    # Default order: biggest AUM first.
    response = as_user(client, sup).get(reverse(LIST))
    assert [r.record.number for r in response.context["table"].page.object_list] == ["C0001", "C0003", "C0002"]


def numbers_of(response):
    return [row.record.number for row in response.context["table"].page.object_list]


def test_sorting_a_name_search_sorts_among_the_matches(client, org, people):
    as_user(client, org.admin)
    # A name search is resolved to its matching ids first; the chosen order applies to those only.
    assert numbers_of(client.get(reverse(LIST) + "?q=wang&sort=number", follow=True)) == ["C0001", "C0003", "C0004"]
    assert numbers_of(client.get(reverse(LIST) + "?q=wang&sort=-number", follow=True)) == ["C0004", "C0003", "C0001"]
    assert numbers_of(client.get(reverse(LIST) + "?q=王伟&sort=aum", follow=True)) == ["C0003", "C0004", "C0001"]
    assert numbers_of(client.get(reverse(LIST) + "?q=王伟&sort=-name_latin&branch=A-SH", follow=True)) == ["C0003", "C0001"]
    response = client.get(reverse(LIST) + "?q=wang", follow=True)
    assert response.context["result_count"] == 3 and not response.context["count_is_estimate"]
    assert 'id="result-count">3 customers<' in response.content.decode()


def test_a_large_result_shows_an_estimate_and_pages_without_counting(client, org, people, monkeypatch):

    # A limit of 0: every result counts as large (the planner never estimates fewer than one row).
    limit = SystemParameter.objects.create(bank=org.bank_a, key="customers.list_exact_count_max", value_type="int", value="0")
    as_user(client, org.supervisor)  # three customers in the subtree
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(LIST) + "?per_page=1")
    assert not [
        q["sql"]
        for q in ctx.captured_queries
        if "COUNT(" in q["sql"] and '"customers_customer"' in q["sql"] and "customers_matchcandidate" not in q["sql"]
    ]
    assert response.context["count_is_estimate"] and response.context["table"].page.has_next()
    assert 'id="result-count">about ' in response.content.decode()
    assert "All results of this filter (about" in response.content.decode()
    # Paging on past the estimate still works; the last page knows the exact size.
    seen = []
    for page in (1, 2, 3):
        response = client.get(reverse(LIST) + f"?per_page=1&page={page}")
        seen += numbers_of(response)
    assert seen == ["C0001", "C0003", "C0002"] and not response.context["table"].page.has_next()
    assert response.context["result_count"] == 3 and not response.context["count_is_estimate"]
    # Past its first rows, the whole subtree in AUM order is read from its branches merged (search.merged_ids).
    monkeypatch.setattr(CustomerListView, "MERGED_FROM_ROW", 1)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(LIST) + "?per_page=1&page=2")
    assert numbers_of(response) == ["C0003"] and response.context["count_is_estimate"]
    assert [q for q in ctx.captured_queries if "UNION ALL" in q["sql"] and "walk_id" in q["sql"]]

    # A large name search sorted by name: each branch of the subtree walked in name order, keeping
    # the matches (search.subtree_ids); the walk saw the end of both branches, so the count is exact.
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(LIST) + "?q=wang&sort=-name_latin", follow=True)
    assert numbers_of(response) == ["C0003", "C0001"] and response.context["count_is_estimate"] is False
    assert [q for q in ctx.captured_queries if "CROSS JOIN LATERAL" in q["sql"] and "walk_matched" in q["sql"]]

    # Under the limit: the ids first, then the page among them; the count is exact without COUNT(*).
    limit.value = "100"
    limit.save()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(LIST) + "?per_page=1&q=王伟&page=2", follow=True)
    assert not [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT COUNT(*) AS "__count"')]
    assert response.context["result_count"] == 2 and not response.context["count_is_estimate"]
    assert response.context["table"].paginator.num_pages == 2 and numbers_of(response) == ["C0003"]
    # A page past the end shows the last one.
    response = client.get(reverse(LIST) + "?per_page=1&q=王伟&page=7", follow=True)
    assert numbers_of(response) == ["C0003"] and response.context["result_count"] == 2


def test_more_matches_than_the_planner_expects_are_paged_from_the_ids_already_read(client, org, people):
    """A branch subtree and a common name are correlated: the planner expects fewer matches than the
    cap and there are more. The ids were read in the page's order: the first pages come from them
    (no second pass over the matches), the rest from the sorted query, and the count is an estimate."""
    for index, aum in enumerate(("700", "300", "900", "100", "500")):
        make_customer(
            f"Z000{index}", org.a_sh, org.manager, name_local="赵磊", name_latin="Zhao Lei", tier="mass", aum=Decimal(aum)
        )
    # Name, tier and star rating each narrow the estimate; here they all describe the same five rows.
    query = "?q=zhao&tier=mass&stars=1&per_page=2"
    visible = CustomerFilterSet(
        QueryDict(query[1:]), queryset=Customer.objects.visible_to(org.supervisor).active(), request=_request(org.supervisor)
    ).qs
    SystemParameter.objects.create(bank=org.bank_a, key="customers.list_exact_count_max", value_type="int", value="3")
    assert estimated_rows(visible) <= 3 < visible.count()
    as_user(client, org.supervisor)
    pages = []
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(LIST) + f"{query}&page={page}", follow=True)
        pages.append(numbers_of(response))
        sql = [q["sql"] for q in ctx.captured_queries if '"customers_customer"' in q["sql"]]
        assert not [q for q in sql if "COUNT(" in q and "customers_matchcandidate" not in q]
        assert len([q for q in sql if "OFFSET 0) AS matches" in q]) == 1  # the ids, in the page's order, read once
        if page == 1:
            assert response.context["count_is_estimate"] and 'id="result-count">about ' in response.content.decode()
    # Pages 1 and 2 lie within the 4 ids read (the cap + 1); page 3 is read from the sorted query.
    assert pages == [["Z0002", "Z0000"], ["Z0004", "Z0001"], ["Z0003"]]
    assert response.context["result_count"] == 5 and not response.context["count_is_estimate"]
    # A chosen order: the ids are read in it.
    response = client.get(reverse(LIST) + f"{query}&sort=-aum&page=1", follow=True)
    assert numbers_of(response) == ["Z0002", "Z0000"]
    response = client.get(reverse(LIST) + f"{query}&sort=aum&page=2", follow=True)
    assert numbers_of(response) == ["Z0004", "Z0000"]


NAMES = [
    ("王军", "Wang Jun"),
    ("陈军", "Chen Jun"),
    ("安俊", "An Jun"),
    ("朱军", "Zhu Jun"),
    ("李明", "Li Ming"),
    ("张军", "Zhang Jun"),
]


def test_a_list_sorted_by_name_is_read_by_walking_name_indexes(client, org, people, monkeypatch):
    """Past the exact-count cap, a name search sorted by name walks the (bank, name) index and keeps
    the matches (search.walked_ids), and a supervisor's list sorted by name walks each branch of the
    subtree (search.subtree_ids). Every page equals the order of sorting all the matches; a walk that
    finds too few falls back to that sort."""
    branches = [org.a_sh, org.a_sh_sub, org.a_bj]
    for index in range(12):
        local, latin = NAMES[index % len(NAMES)]
        make_customer(f"W{index:04d}", branches[index % 3], org.manager, name_local=local, name_latin=latin)
    SystemParameter.objects.create(bank=org.bank_a, key="customers.list_exact_count_max", value_type="int", value="0")

    def expected(user, order, text=None):
        rows = Customer.objects.visible_to(user).active()
        if text:
            rows = rows.filter(name_latin__icontains=text)
        rows = sorted(rows, key=lambda row: (getattr(row, order.lstrip("-")), row.pk), reverse=order.startswith("-"))
        return [row.number for row in rows]

    def pages(user, query, marker, count):
        as_user(client, user)
        seen = []
        for page in range(1, count + 1):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(reverse(LIST) + f"{query}&per_page=2&page={page}", follow=True)
            if page == 1:
                assert any(marker in q["sql"] for q in ctx.captured_queries), marker
            seen += numbers_of(response)
        return seen

    # Bank-wide: the walk of the name index, ascending and descending, Latin and Chinese names.
    want = expected(org.admin, "name_latin", "jun")
    assert pages(org.admin, "?q=jun&sort=name_latin", ") AS walk WHERE", 3) == want[:6]
    want = expected(org.admin, "-name_latin", "jun")
    assert pages(org.admin, "?q=jun&sort=-name_latin", ") AS walk WHERE", 2) == want[:4]
    as_user(client, org.admin)
    response = client.get(reverse(LIST) + "?q=jun&sort=name_latin&per_page=2", follow=True)
    assert response.context["count_is_estimate"]  # the walk reads up to the page: the size stays "about N"
    # A walk that finds too few matches within its budget: the matches are sorted, in the same order.
    monkeypatch.setattr("customers.master.search.WALK_BUDGET", 1)
    assert pages(org.admin, "?q=jun&sort=name_latin", "||", 3) == expected(org.admin, "name_latin", "jun")[:6]
    # A supervisor's name search: a branch that used its share of the walk (here three rows, a page and one) before a
    # page of matches is sorted instead, in the same order.
    assert pages(org.supervisor, "?q=jun&sort=-name_latin", "||", 2) == expected(org.supervisor, "-name_latin", "jun")[:4]
    monkeypatch.undo()
    # Walked: every page of the supervisor's name search equals the sort of its matches.
    want = expected(org.supervisor, "name_latin", "jun")
    assert len(want) > 4 and pages(org.supervisor, "?q=jun&sort=name_latin", "walk_matched", 3) == want[:6]
    with_jun = [row.number for row in Customer.objects.visible_to(org.supervisor) if "军" in row.name_local]
    want = [number for number in expected(org.supervisor, "-name_local") if number in with_jun]
    assert pages(org.supervisor, "?q=军&sort=-name_local", "walk_matched", 2) == want[:4]

    # A supervisor: one walk per branch of the subtree, merged; pages past the first as well.
    subtree = expected(org.supervisor, "name_latin")
    assert len(subtree) > 6 and pages(org.supervisor, "?sort=name_latin", "CROSS JOIN LATERAL", 4) == subtree[:8]
    assert pages(org.supervisor, "?sort=-name_local", "CROSS JOIN LATERAL", 2) == expected(org.supervisor, "-name_local")[:4]
    # The last page: the walk saw the end, and the size is exact.
    as_user(client, org.supervisor)
    response = client.get(reverse(LIST) + f"?sort=name_latin&per_page={len(subtree) + 5}", follow=True)
    assert numbers_of(response) == subtree
    assert response.context["result_count"] == len(subtree) and not response.context["count_is_estimate"]


def test_a_supervisors_name_search_in_aum_order_walks_the_branches_merged(client, org, people):
    """Past the exact-count cap, a supervisor's name search in the list's default order (largest AUM
    first, then the number) reads the subtree's branches merged in that order through the (bank,
    branch, AUM) index, testing the name on the way (search.merged_ids). Every page equals the sort of
    all the matches, ties in AUM by number; a walk that finds too few falls back to that sort; other
    orders and bank-wide users are not walked so."""
    branches = [org.a_sh, org.a_sh_sub, org.a_bj]
    for index in range(15):
        local, latin = NAMES[index % len(NAMES)]
        aum = Decimal(1000 * (index % 4))  # ties: the number decides
        make_customer(f"M{index:04d}", branches[index % 3], org.manager, name_local=local, name_latin=latin, aum=aum)
    make_customer("M9999", org.b_hk, org.b_manager, name_local="陈军", name_latin="Chen Jun", aum=Decimal("99999"))
    SystemParameter.objects.create(bank=org.bank_a, key="customers.list_exact_count_max", value_type="int", value="0")

    def expected(user, text):
        rows = [row for row in Customer.objects.visible_to(user).active() if text in row.name_latin.lower()]
        return [row.number for row in sorted(rows, key=lambda row: (-row.aum, row.number))]

    def pages(user, query, count):
        as_user(client, user)
        seen, merged = [], []
        for page in range(1, count + 1):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(reverse(LIST) + f"{query}&per_page=2&page={page}", follow=True)
            merged.append(any(") AS merged ORDER BY" in q["sql"] for q in ctx.captured_queries))
            seen += numbers_of(response)
        return seen, merged

    want = expected(org.supervisor, "jun")
    assert len(want) >= 5 and len({Customer.objects.get(number=n).branch_id for n in want}) > 1
    seen, merged = pages(org.supervisor, "?q=jun", 3)
    assert seen == want[:6] and all(merged)
    as_user(client, org.supervisor)
    response = client.get(reverse(LIST) + "?q=jun&per_page=2", follow=True)
    assert response.context["count_is_estimate"]  # the walk reads up to the page: the size stays "about N"
    # With the branch filter too: the walk keeps it (only the scope's own condition is left to the walk).
    in_sub = [number for number in want if Customer.objects.get(number=number).branch_id == org.a_sh_sub.pk]
    seen, merged = pages(org.supervisor, f"?q=jun&branch={org.a_sh_sub.code}", 2)
    assert len(in_sub) >= 2 and seen == in_sub[:4] and merged[0]
    # Bank-wide, and in another order: not walked so, the same rows in their order.
    seen, merged = pages(org.admin, "?q=jun", 2)
    assert seen == expected(org.admin, "jun")[:4] and not any(merged)
    seen, merged = pages(org.supervisor, "?q=jun&sort=-aum", 1)
    assert not any(merged)
    # The walk itself: the first matches in order, or None when its budget of rows holds too few
    # (the page then sorts the matches, as under the cap).
    unsearched = Customer.objects.visible_to(org.supervisor).active().order_by("-aum", "number")
    subtree = subtree_branch_ids(org.supervisor)
    found = search.merged_ids(unsearched, 3, subtree, "jun")
    assert [Customer.objects.get(pk=pk).number for pk in found] == want[:3]
    assert search.merged_ids(unsearched, 3, subtree, "jun", budget=2) is None


@pytest.mark.django_db(transaction=True)
def test_an_export_outside_a_transaction_reads_each_chunks_details_ahead_on_its_own_connection(org, people):
    """Outside a transaction (a real request, the background export) a chunk's phones, documents and
    tags are read by a second thread while the chunk before is written (ocrm.lists.exports.read_ahead).
    The rows equal those read in the asking thread, and the second thread's connection is closed."""
    for index in range(7):
        customer = make_customer(f"E{index:04d}", org.a_sh, org.manager, name_latin=f"Export {index}")
        add_phone(customer, f"+86139000000{index:02d}")
        add_identity(customer, "11010519491231002X")
        tag, _created = Tag.objects.get_or_create(bank=org.bank_a, name=f"tag {index % 2}")
        CustomerTag.objects.create(customer=customer, tag=tag)
    request = _request(org.admin)
    queryset = Customer.objects.visible_to(org.admin).active().order_by("number")
    opened = []
    wrapper_class = type(connections["default"])
    original = wrapper_class.connect

    def connect(self):
        opened.append((threading.current_thread().name, self))
        return original(self)

    with patch.object(wrapper_class, "connect", connect):
        threaded = list(CustomerExportTable.export_rows(queryset, request=request, exclude=("selection",), chunk_size=3))
    ahead = [wrapper for name, wrapper in opened if name.startswith("export-read-ahead")]
    assert ahead and all(wrapper.connection is None for wrapper in ahead)  # opened, used, closed
    with transaction.atomic():  # the same export read in the asking thread
        inline = list(CustomerExportTable.export_rows(queryset, request=request, exclude=("selection",), chunk_size=3))
    assert threaded == inline and len(threaded) == queryset.count() + 1
    header = threaded[0]
    row = dict(zip(header, next(row for row in threaded if row[0] == "E0003"), strict=True))
    assert row[str(CustomerExportTable.base_columns["tags"].verbose_name)] == "tag 1"
    assert row[str(CustomerExportTable.base_columns["phone"].verbose_name)].endswith("03")


def _request(user):
    request = RequestFactory().get(reverse(LIST))
    request.user = user
    return request


def test_columns_are_chosen_and_remembered_for_the_session(client, org, people):
    as_user(client, org.supervisor)
    headers = lambda response: [column.name for column in response.context["table"].columns]  # noqa: E731
    response = client.get(reverse(LIST))
    assert headers(response) == ["selection", "number", "name_local", "name_latin", "branch", "manager", "tier", "aum", "phone"]
    assert 'id="columns-form"' in response.content.decode()
    response = client.get(
        reverse(LIST) + "?q=wang&columns_set=1&columns=tags&columns=stars&columns=star_rating&columns=bogus&page=2", follow=True
    )
    back_to = response.redirect_chain[-1][0]  # the search behind its token, the chooser's fields gone
    assert back_to.startswith(reverse(LIST) + "?s=") and "columns" not in back_to and "page" not in back_to
    tag = Tag.objects.create(bank=org.bank_a, name="VIP", colour="warning")
    CustomerTag.objects.create(customer=people["sh_wang"], tag=tag)
    response = client.get(reverse(LIST) + "?q=wang", follow=True)
    assert headers(response) == ["selection", "number", "star_rating", "tags"]
    page = response.content.decode()
    assert '<span class="badge text-bg-warning">VIP</span>' in page and '<span title="5">★★★★★</span>' in page
    assert pii.mask_id(ID_SH) not in page  # the ID column is not chosen: not even masked
    # The export keeps every column whatever the page shows.
    header, _rows = read_xlsx(client.get(reverse(LIST) + "?export=xlsx"))
    assert "ID number" in header and "tags" in header and "customer number" in header


def test_the_page_shows_each_customers_primary_phone_masked(client, org, people):
    """The phone column (read for the page's rows alone, tables.read_phones): the primary phone
    before an older secondary one, a phone and not an e-mail, a dash without one."""
    sh_wang, sh_li, sub_wang = people["sh_wang"], people["sh_li"], people["sub_wang"]
    older = "+8613700000001"
    ContactPoint.objects.create(bank_id=sh_wang.bank_id, customer=sh_wang, kind=ContactPoint.Kind.PHONE, value=older)
    add_phone(sh_wang, PHONE_SH)
    ContactPoint.objects.create(bank_id=sh_li.bank_id, customer=sh_li, kind=ContactPoint.Kind.EMAIL, value="li@example.com")
    ContactPoint.objects.create(bank_id=sub_wang.bank_id, customer=sub_wang, kind=ContactPoint.Kind.PHONE, value=older)
    as_user(client, org.supervisor)
    page = client.get(reverse(LIST)).content.decode()
    rows = [row.split("</tr>")[0] for row in page.split("<tr>") if 'name="selection"' in row]
    rows = {row.split("</a>")[0].rsplit(">", 1)[-1]: row for row in rows}
    assert pii.mask_phone(PHONE_SH) in rows["C0001"] and pii.mask_phone(older) not in rows["C0001"]
    assert PHONE_SH not in page and older not in page and "li@example.com" not in page
    assert rows["C0002"].endswith("<td>—</td>")
    assert pii.mask_phone(older) in rows["C0003"]


# --- export -----------------------------------------------------------------------------------------


def test_export_is_masked_without_unmask_permission(client, org, people):
    user = org.marketing_manager  # bank scope, may export, may not unmask
    assert user.has_perm("customers.export_customers") and not user.has_perm("customers.unmask_pii")
    header, rows = read_xlsx(as_user(client, user).get(reverse(LIST) + "?export=xlsx"))
    assert "ID number" in header and "primary phone" in header and "selection" not in header
    row = next(r for r in rows if r["customer number"] == "C0001")
    assert row["ID number"] == pii.mask_id(ID_SH) and ID_SH not in str(rows)
    # Text starting with "+" is written as a string cell: inert, and without a visible apostrophe.
    assert row["primary phone"] == pii.mask_phone(PHONE_SH) and PHONE_SH not in str(rows)
    entry = AuditLog.objects.get(action=AuditLog.Action.EXPORT, actor=user)
    assert entry.object_type == "customers.customer" and entry.detail["rows"] == 4 and entry.detail["pii"] is False


def test_export_is_masked_like_the_page_even_with_unmask_permission_and_audited(client, org, people):
    """Issue 12 #12: the supervisor's export of the list is masked as the list is (clear only
    as an approved export in clear, tests/customers/master/test_pii.py)."""
    assert org.supervisor.has_perm("customers.unmask_pii")
    header, rows = read_xlsx(as_user(client, org.supervisor).get(reverse(LIST) + "?export=xlsx&q=wang", follow=True))
    row = next(r for r in rows if r["customer number"] == "C0001")
    assert row["ID number"] == pii.mask_id(ID_SH) and row["primary phone"] == pii.mask_phone(PHONE_SH)
    assert ID_SH not in str(rows) and PHONE_SH not in str(rows)
    assert [r["customer number"] for r in rows] == ["C0001", "C0003"]
    entry = AuditLog.objects.get(action=AuditLog.Action.EXPORT, actor=org.supervisor)
    assert entry.detail["pii"] is False and entry.detail["rows"] == 2 and "q=wang" in entry.detail["query"]
    # The page itself always shows masked values, even to this user (the ID column chosen first).
    as_user(client, org.supervisor).get(reverse(LIST) + "?columns_set=1&columns=identity&columns=phone")
    page = client.get(reverse(LIST)).content.decode()
    assert pii.mask_id(ID_SH) in page and ID_SH not in page and PHONE_SH not in page


def test_export_without_permission_is_forbidden(client, org, people):
    user = org.product_manager
    assert user.has_perm("customers.view_customer") and not user.has_perm("customers.export_customers")
    assert as_user(client, user).get(reverse(LIST)).status_code == 200
    assert as_user(client, user).get(reverse(LIST) + "?export=xlsx").status_code == 403
    assert not AuditLog.objects.filter(action=AuditLog.Action.EXPORT).exists()


# --- bulk actions -----------------------------------------------------------------------------------


def bulk(client, user, **data):
    return as_user(client, user).post(reverse("customers:bulk_tag"), data)


def test_bulk_tag_selected_rows_creates_the_tag_and_ignores_rows_outside_scope(client, org, people):
    response = bulk(
        client,
        org.manager,
        action="tag",
        scope="selected",
        tag_name=" Spring  2026 ",
        selection=[people["sh_wang"].pk, people["bj_wang"].pk, people["b_wang"].pk],
        query="q=wang",
    )
    assert response.status_code == 302 and response["Location"] == reverse(LIST) + "?q=wang"
    tag = Tag.objects.get(name="Spring 2026")
    assert tag.bank == org.bank_a
    assert set(CustomerTag.objects.filter(tag=tag).values_list("customer__number", flat=True)) == {"C0001"}
    entry = AuditLog.objects.get(action=AuditLog.Action.UPDATE, object_type="customers.tag", detail__bulk="tag")
    assert entry.detail["added"] == 1 and entry.actor == org.manager
    # Again, with one more row: existing memberships are kept, only the new one counts.
    bulk(
        client,
        org.manager,
        action="tag",
        scope="selected",
        tag_name="Spring 2026",
        selection=[people["sh_wang"].pk, people["sh_li"].pk],
    )
    assert CustomerTag.objects.filter(tag=tag).count() == 2
    assert sorted(e.detail["added"] for e in AuditLog.objects.filter(detail__bulk="tag")) == [1, 1]


def test_bulk_tag_all_results_of_the_filter(client, org, people):
    bulk(client, org.supervisor, action="tag", scope="all", tag_name="Wangs", query="q=王伟&page=2")
    assert sorted(CustomerTag.objects.filter(tag__name="Wangs").values_list("customer__number", flat=True)) == ["C0001", "C0003"]
    assert listed(client, org.supervisor, f"?tag={Tag.objects.get(name='Wangs').pk}") == ["C0001", "C0003"]


def test_bulk_without_a_selection_changes_nothing(client, org, people):
    response = bulk(client, org.manager, action="tag", scope="selected", tag_name="Empty")
    assert response.status_code == 302
    assert not Tag.objects.filter(name="Empty").exists()
    messages = [str(m) for m in as_user(client, org.manager).get(response["Location"]).context["messages"]]
    assert any("Select at least one customer" in m for m in messages)


def test_bulk_add_to_static_group_and_save_dynamic_group(client, org, people):
    bulk(client, org.supervisor, action="group", scope="all", new_group_name="Branch SH wealth", query="tier=wealth")
    group = CustomerGroup.objects.get(name="Branch SH wealth")
    assert group.owner == org.supervisor and group.kind == "static"
    assert list(group.members.values_list("number", flat=True)) == ["C0001"]
    bulk(
        client,
        org.supervisor,
        action="group",
        scope="selected",
        group=group.pk,
        selection=[people["sub_wang"].pk, people["bj_wang"].pk],
    )
    assert sorted(group.members.values_list("number", flat=True)) == ["C0001", "C0003"]
    # Someone else's group is refused.
    bulk(client, org.manager, action="group", scope="selected", group=group.pk, selection=[people["sh_li"].pk])
    assert group.members.count() == 2

    bulk(client, org.supervisor, action="dynamic", dynamic_name="Big fish", query="aum_min=10000&page=3")
    dynamic = CustomerGroup.objects.get(name="Big fish")
    assert dynamic.kind == "dynamic" and dynamic.filter_query == "aum_min=10000"
    assert listed(client, org.supervisor, f"?group={dynamic.pk}") == ["C0001", "C0003"]
    people["sh_li"].aum = Decimal("20000")
    people["sh_li"].save()
    assert listed(client, org.supervisor, f"?group={dynamic.pk}") == ["C0001", "C0002", "C0003"]  # re-run


def test_bulk_needs_its_permission(client, org, people):
    response = bulk(client, org.product_manager, action="tag", scope="selected", tag_name="X", selection=[people["sh_wang"].pk])
    assert response.status_code == 403
    assert not Tag.objects.filter(name="X").exists()


# --- teller look-up ---------------------------------------------------------------------------------


def lookup(client, user, **params):
    response = as_user(client, user).post(reverse("customers:lookup"), params)
    assert response.status_code == 200
    return response


def test_teller_lookup_is_exact_masked_and_audited(client, org, people):
    teller = org.teller
    response = lookup(client, teller, value="C0004")  # another branch of the bank: found
    results = response.context["results"]
    assert [r["customer"].number for r in results] == ["C0004"]
    page = response.content.decode()
    assert "王*" in page and "王伟" not in page and "W*** W**" in page
    assert results[0]["url"] is None  # the teller cannot open the 360 page
    entry = AuditLog.objects.get(actor=teller, object_type="customers.customer")
    assert entry.detail["found"] == ["C0004"] and entry.detail["lookup"] == "any"

    assert [r["customer"].number for r in lookup(client, teller, value=ID_SH, kind="id").context["results"]] == ["C0001"]
    assert [r["customer"].number for r in lookup(client, teller, value=ID_SH, doc_type="passport").context["results"]] == []
    assert [r["customer"].number for r in lookup(client, teller, value="13998765432").context["results"]] == ["C0004"]
    assert [r["customer"].number for r in lookup(client, teller, value=ACCOUNT_SH).context["results"]] == ["C0001"]
    # A kind that does not fit the value finds nothing.
    assert lookup(client, teller, value=ACCOUNT_SH, kind="phone").context["results"] == []
    # Nothing that is not exact.
    for value in ("C000", "王伟", ID_SH[:10], ACCOUNT_SH[:-1]):
        response = lookup(client, teller, value=value)
        assert response.context["results"] == [], value
        assert "No customer has exactly this number" in response.content.decode()
    audit_entries = AuditLog.objects.filter(actor=teller, object_type="customers.customer")
    assert audit_entries.count() == 10
    assert all(ID_SH not in str(e.detail) for e in audit_entries)  # the typed ID is logged masked
    # Never another bank's customer.
    assert lookup(client, org.b_manager, value=ID_SH).context["results"] == []


def test_lookup_links_to_the_page_when_in_scope(client, org, people):
    results = lookup(client, org.manager, value="C0001").context["results"]
    assert results[0]["url"] == people["sh_wang"].get_absolute_url()


# --- queries ----------------------------------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_rows(client, org, django_assert_max_num_queries):
    tag = Tag.objects.create(bank=org.bank_a, name="VIP")

    def grow(start, stop):
        for i in range(start, stop):
            customer = make_customer(f"Q{i:04d}", org.a_sh, org.manager, name_local=f"客户{i}", name_latin=f"Kehu {i}")
            add_identity(customer, resident_id(f"3101041980010{i:04d}"))
            add_phone(customer, f"+86138000{i:05d}")
            CustomerTag.objects.create(customer=customer, tag=tag)

    as_user(client, org.supervisor)
    url = reverse(LIST) + "?per_page=50"
    grow(0, 5)
    client.get(url)  # the first request of a session warms caches (parameters, navigation)
    few = count_queries(client, url)
    grow(5, 30)
    many = count_queries(client, url)
    assert few == many
    with django_assert_max_num_queries(25):
        client.get(url + "&q=客户&tier=mass")
    assert Customer.objects.count() == 30


def test_the_typed_manager_and_branch_are_checked_against_the_scope_only_when_typed(org):
    """sysadmin.org.filtersets.TypedChoiceFilter: with nothing typed the fields get no queryset to
    build (the box lists no choices); typed, the name and the code are looked up within the scope."""
    visible = Customer.objects.visible_to(org.supervisor).active()
    empty = CustomerFilterSet(QueryDict("tier=mass"), queryset=visible, request=_request(org.supervisor))
    assert empty.is_valid()
    assert empty.form.fields["manager"].queryset.model.__name__ == "Staff"
    assert not empty.form.fields["manager"].queryset.exists() and not empty.form.fields["branch"].queryset.exists()
    typed = CustomerFilterSet(
        QueryDict(f"manager={org.manager.username}&branch={org.a_sh.code}"), queryset=visible, request=_request(org.supervisor)
    )
    assert typed.is_valid(), typed.form.errors
    assert typed.form.cleaned_data["manager"] == org.manager and typed.form.cleaned_data["branch"] == org.a_sh
    outside = CustomerFilterSet(
        QueryDict(f"manager={org.manager_bj.username}&branch={org.a_bj.code}"), queryset=visible, request=_request(org.supervisor)
    )
    assert not outside.is_valid()
    assert set(outside.form.errors) == {"manager", "branch"}


TEXT_NAMES = [
    ("王伟", "Wang Wei"),
    ("王伟东", "Wang Weidong"),
    ("东王伟", "Dong Wangwei"),
    ("伟王", "Wei Wang"),
    ("Ｗ王", "Wang W"),
    ("Smith Trading", "史密斯王伟贸易"),  # the Chinese name sits in the Latin field
    ("李王伟明", "Li Wangweiming"),
    ("王 伟", "Wang Wei"),
]


@pytest.mark.parametrize("query", ["王", "伟", "王伟", "伟王", "王伟东", "王伟明", "王 伟", "王伟 东", "贸易", "无此"])
def test_the_text_test_of_a_chinese_name_finds_exactly_what_the_gram_test_finds(org, query):
    """search.filter_by_name_text is a second form of filter_by_name for CJK queries: the same rows,
    for one or two characters, longer runs (the local name rechecked), several runs, a name held in
    the Latin field and names with the characters apart or reversed."""
    for index, (local, latin) in enumerate(TEXT_NAMES):
        make_customer(f"T{index:04d}", org.a_sh, org.manager, name_local=local, name_latin=latin)
    customers = Customer.objects.filter(bank=org.bank_a)
    by_grams = set(search.filter_by_name(customers, query).values_list("number", flat=True))
    by_text = set(search.filter_by_name_text(customers, query).values_list("number", flat=True))
    assert by_text == by_grams
    assert by_grams or query == "无此"


@pytest.mark.parametrize("query", ["wang", "王wang", "王伟 1", "  ", ""])
def test_a_query_with_a_latin_word_has_no_text_test(query):
    assert search.text_tests(query) is None
    assert search.filter_by_name_text(Customer.objects.none(), query) is None


def test_a_bank_wide_chinese_search_past_the_cap_tests_the_names_text_on_its_first_page_only(client, org, people):
    """Past the cap the first page of a bank-wide Chinese search without a pair of characters, in the list's
    own order, is the walk of the (bank, AUM) index testing each name's text (strpos); the rows are those of
    the gram test. Other pages, orders, the export and a supervisor keep the gram test, which the GIN index
    can serve. (A name with a pair is read through the pair's own index: the next test.)"""
    SystemParameter.objects.create(bank=org.bank_a, key="customers.list_exact_count_max", value_type="int", value="0")
    as_user(client, org.marketing_manager)

    def page_sql(query):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(LIST) + query, follow=True)
        rows = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "customers_customer"."id"')]
        return numbers_of(response), rows

    numbers, sql = page_sql("?q=伟&per_page=2")
    assert numbers == ["C0001", "C0004"]  # the largest AUM first: 500,000 then 90,000
    assert any("STRPOS" in q.upper() and "name_grams" not in q for q in sql), sql
    numbers, sql = page_sql("?q=伟&per_page=2&page=2")
    assert numbers == ["C0003"] and any("name_grams" in q for q in sql)
    numbers, sql = page_sql("?q=王伟&sort=-number")
    assert numbers == ["C0004", "C0003", "C0001"] and not any("STRPOS" in q.upper() for q in sql)
    numbers, sql = page_sql("?q=wang&per_page=2")  # a Latin word: the prefix grams
    assert numbers == ["C0001", "C0004"] and not any("STRPOS" in q.upper() for q in sql)
    as_user(client, org.supervisor)
    numbers, sql = page_sql("?q=王伟")
    assert numbers == ["C0001", "C0003"] and not any("STRPOS" in q.upper() for q in sql)


def test_a_supervisors_search_for_a_rare_name_tests_the_subtree_on_each_match(client, org, people, monkeypatch):
    """Under the cap, a supervisor's search for a name rare in the whole bank (against the rows of the
    subtree, by the planner's estimates) tests the subtree on each of the name's matches rather than reading
    the subtree's index (search.subtree_tested_per_row): the same rows and exact count as the plain
    search, in any order and with other filters. A bank-wide user and a key keep the plain query."""

    def page(user, query):
        as_user(client, user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(LIST) + query, follow=True)
        tested = any('("customers_customer"."branch_id" + 0) = ANY' in q["sql"] for q in ctx.captured_queries)
        assert not response.context["count_is_estimate"]
        return numbers_of(response), response.context["result_count"], tested

    cases = {
        "?q=王伟": (["C0001", "C0003"], 2),  # not bj_wang: outside the subtree
        "?q=王伟&sort=-number": (["C0003", "C0001"], 2),
        "?q=wang&stars=2": (["C0003"], 1),
        f"?q=王伟&branch={org.a_sh_sub.code}": (["C0003"], 1),
        "?q=李娜&lifecycle=active": ([], 0),
    }
    # Every name rare against the subtree; none; every name rare but more common than RARE_NAME_MAX.
    for rows_per_match, rare_max, tested in ((0, 5000, True), (10**9, 5000, False), (0, 0, False)):
        monkeypatch.setattr(CustomerListView, "SUBTREE_ROWS_PER_NAME_MATCH", rows_per_match)
        monkeypatch.setattr(CustomerListView, "RARE_NAME_MAX", rare_max)
        for query, (numbers, count) in cases.items():
            assert page(org.supervisor, query) == (numbers, count, tested), (query, rows_per_match, rare_max)
    monkeypatch.setattr(CustomerListView, "SUBTREE_ROWS_PER_NAME_MATCH", 0)
    monkeypatch.setattr(CustomerListView, "RARE_NAME_MAX", 5000)
    assert page(org.marketing_manager, "?q=王伟") == (["C0001", "C0004", "C0003"], 3, False)
    assert page(org.supervisor, "?q=C0001") == (["C0001"], 1, False)  # a key, not a name


def pairs_of(customer):
    return sorted(
        (pair.pair, pair.bank_id, pair.aum, pair.number) for pair in CustomerNamePair.objects.filter(customer_id=customer.pk)
    )


def test_the_name_pairs_follow_every_write_of_a_customer(org):
    """CustomerNamePair is kept by the database's triggers (migration 0024) whatever writes the customer:
    a save, a queryset update, raw SQL, a delete. It holds the CJK pairs of the name grams (either name),
    each with the customer's bank, AUM and number; a Latin name has none."""
    customer = make_customer("P0001", org.a_sh, org.manager, name_local="王伟东", name_latin="Wang Weidong", aum=Decimal("5"))
    latin = make_customer("P0002", org.a_sh, org.manager, name_local="Aishah Binti Ali", name_latin="Aishah")
    bank = org.bank_a.pk
    assert pairs_of(customer) == [("伟东", bank, Decimal("5.00"), "P0001"), ("王伟", bank, Decimal("5.00"), "P0001")]
    assert pairs_of(latin) == []

    customer.name_local = "李娜"
    customer.save(update_fields=["name_local"])
    assert [pair for pair, *_rest in pairs_of(customer)] == ["李娜"]

    Customer.objects.filter(pk=customer.pk).update(aum=Decimal("70"))  # the nightly batch's way
    with connection.cursor() as cursor:
        cursor.execute("UPDATE customers_customer SET number = 'P0009' WHERE id = %s", [customer.pk])
    assert pairs_of(customer) == [("李娜", org.bank_a.pk, Decimal("70.00"), "P0009")]

    latin.name_latin = "Aishah 李娜"  # a pair held in the Latin field is a gram as well
    latin.save()
    assert [pair for pair, *_rest in pairs_of(latin)] == ["李娜"]

    Customer.objects.filter(pk=latin.pk).update(merged_into=customer)  # a merged-away duplicate has none
    assert pairs_of(latin) == []
    Customer.objects.filter(pk=latin.pk).update(merged_into=None)  # unmerged: back
    assert [pair for pair, *_rest in pairs_of(latin)] == ["李娜"]

    Customer.objects.filter(pk__in=[customer.pk, latin.pk]).delete()
    assert not CustomerNamePair.objects.filter(number__in=["P0009", "P0002"]).exists()


def test_a_bank_wide_chinese_search_reads_its_pages_from_the_pairs_index(client, org, people):
    """A bank-wide search for exactly two CJK characters and nothing else reads its ids in the list's own
    order from the pair's index alone (search.paired_ids): under the cap every id, with an exact count;
    past it the first pages. With other filters past the cap, the pair's customers are
    each tested on the page's own query. Always the rows of the gram test sorted; a merged-away duplicate
    never. A supervisor's page past the cap tests the subtree on each of the pair's customers; another
    order does not use the pairs."""
    limit = SystemParameter.objects.create(bank=org.bank_a, key="customers.list_exact_count_max", value_type="int", value="100")
    make_customer("C0005", org.a_sh, org.manager, name_local="王伟", aum=Decimal("500000"), tier="wealth")  # ties C0001's AUM
    merged = Customer.objects.filter(pk=people["sh_li"].pk)
    merged.update(merged_into=people["sh_wang"], name_local="王伟", name_grams=search.name_grams("王伟"))

    def page(user, query):
        as_user(client, user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(LIST) + query, follow=True)
        sql = [q["sql"] for q in ctx.captured_queries]
        paired = any("customers_customernamepair" in q for q in sql)
        return numbers_of(response), response.context["result_count"], paired

    everyone = ["C0001", "C0005", "C0004", "C0003"]  # AUM 500,000 twice (then the number), 90,000, 20,000
    assert page(org.marketing_manager, "?q=王伟") == (everyone, 4, True)
    assert page(org.marketing_manager, "?q=王伟&per_page=2&page=2") == (everyone[2:], 4, True)
    limit.value = "2"
    limit.save()
    # Past the cap: the first cap + 1 ids from the index, the rest from the sorted query; an estimate.
    assert page(org.marketing_manager, "?q=王伟&per_page=2") == (everyone[:2], 3, True)
    assert page(org.marketing_manager, "?q=王伟&per_page=2&page=2")[0] == everyone[2:]
    limit.value = "0"
    limit.save()
    assert page(org.marketing_manager, "?q=王伟&tier=wealth&per_page=1&page=2")[::2] == (["C0005"], True)
    assert page(org.marketing_manager, "?q=王伟东")[::2] == (["C0003"], True)  # fewer matches than a page: sorted
    assert page(org.marketing_manager, "?q=王伟&sort=-number&per_page=2")[::2] == (["C0005", "C0004"], False)
    assert page(org.supervisor, "?q=王伟&per_page=2")[::2] == (["C0001", "C0005"], True)  # the subtree tested on each

    visible = Customer.objects.visible_to(org.marketing_manager).active().order_by("-aum", "number")
    sorted_ids = list(search.filter_by_name(visible, "王伟").values_list("pk", flat=True))
    assert search.paired_ids(org.bank_a.pk, "王伟", 10) == sorted_ids
    assert search.paired_ids(org.bank_a.pk, "王伟", 3, matching=search.filter_by_name(visible, "王伟")) == sorted_ids[:3]
    assert search.paired_ids(org.bank_a.pk, "王伟", 3, matching=visible.filter(tier="wealth")) is None  # two only
    assert search.paired_ids(org.bank_a.pk, "王伟", 2, matching=visible, budget=1) is None  # the walk's budget is spent
    texts = ("王伟", " 王伟 ", "王伟东", "王", "王 伟", "wang")
    assert [search.exact_pair(text) for text in texts] == ["王伟", "王伟", None, None, None, None]
    assert [search.walked_pair(text) for text in ("王伟东", "王 伟东", "王", "王伟 wang")] == ["王伟", "伟东", None, None]
