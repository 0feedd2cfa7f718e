"""The report pages: totals, drill-down within the scope, comparison, export, query counts."""

import datetime
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from ocrm import reporting
from ocrm.audit.models import AuditLog
from tests.factories import make_customer, make_product
from tests.reports.factories_catalogue import BEFORE, DAY, customer_day, holding_day, measure_day, snapshot_run, transaction_day

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

D = Decimal
URLS = ["customers_report", "balances_report", "penetration_report", "transactions_report", "measures_report"]

TEST_MEASURES = [
    reporting.Measure(
        key="tests.catalogue_conversions", label="Campaign conversions (test)", unit=reporting.Measure.COUNT, sql="SELECT 1"
    ),
    reporting.Measure(
        key="tests.catalogue_revenue", label="Revenue shared (test)", unit=reporting.Measure.AMOUNT, sql="SELECT 1"
    ),
]


@pytest.fixture(autouse=True)
def test_measures(monkeypatch):
    """Labels for the measure rows of the book, registered for this module's tests only (a
    measure left in the registry would run in every later snapshot build)."""
    for measure in TEST_MEASURES:
        monkeypatch.setitem(reporting._MEASURES, measure.key, measure)


@pytest.fixture
def book(org):
    """Customers of A-SH (manager), A-SH-1 (manager_sub), A-BJ (manager_bj), A-LDN (no manager)
    with snapshot rows at DAY and BEFORE; one of bank B."""
    c = SimpleNamespace()
    c.sh1 = make_customer("C-SH-1", org.a_sh, org.manager, name_local="张一")
    c.sh2 = make_customer("C-SH-2", org.a_sh, org.manager, name_local="张二")
    c.sub = make_customer("C-SUB-1", org.a_sh_sub, org.manager_sub, name_local="李一")
    c.bj = make_customer("C-BJ-1", org.a_bj, org.manager_bj, name_local="王一")
    c.ldn = make_customer("C-LDN-1", org.a_ldn, None, name_local="Smith")
    c.b = make_customer("C-B-1", org.b_hk, org.b_manager, name_local="陈一")
    for bank in (org.bank_a, org.bank_b):
        snapshot_run(bank, DAY)
        snapshot_run(bank, BEFORE)
    rows = [
        (c.sh1, "active", "wealth", 4, "1000.00", "200.00", 3, "asset,fee,liability"),
        (c.sh2, "dormant", "mass", 1, "50.50", "0", 1, "asset"),
        (c.sub, "active", "affluent", 3, "300.25", "100.00", 2, "asset,liability"),
        (c.bj, "prospect", "mass", 1, "10.00", "0", 1, "asset"),
        (c.ldn, "active", "private", 5, "5000.00", "0", 2, "asset,fee"),
        (c.b, "active", "mass", 2, "77.00", "0", 1, "asset"),
    ]
    for customer, stage, tier, star, aum, liabilities, products, categories in rows:
        customer_day(
            customer,
            DAY,
            lifecycle_stage=stage,
            tier=tier,
            star_rating=star,
            aum=D(aum),
            liabilities=D(liabilities),
            contribution=D("1.00"),
            fee_income=D("0.10"),
            products_held=products,
            product_categories=categories,
        )
    # A month earlier: sh2 was active, sub was not yet a customer.
    customer_day(c.sh1, BEFORE, lifecycle_stage="active", tier="wealth", aum=D("900.00"))
    customer_day(c.sh2, BEFORE, lifecycle_stage="active", tier="mass", aum=D("60.00"))
    customer_day(c.bj, BEFORE, lifecycle_stage="prospect", aum=D("5.00"))
    customer_day(c.ldn, BEFORE, lifecycle_stage="active", tier="private", aum=D("4000.00"))
    c.deposit = make_product(org.bank_a, "DD-CNY")
    c.loan = make_product(org.bank_a, "LN-CNY", category="liability", product_type="loan")
    holding_day(org.a_sh, DAY, c.deposit, manager=org.manager, holders=2, accounts=2, balance="1050.50")
    holding_day(
        org.a_sh, DAY, c.deposit, manager=org.manager, currency="USD", holders=1, accounts=1, balance="10", balance_base="72.00"
    )
    holding_day(org.a_sh_sub, DAY, c.loan, manager=org.manager_sub, holders=1, accounts=1, balance="100.00")
    holding_day(org.a_bj, DAY, c.deposit, manager=org.manager_bj, holders=1, accounts=1, balance="10.00")
    transaction_day(org.a_sh, DAY, manager=org.manager, channel="online", count=5, amount="500.00")
    transaction_day(org.a_sh, DAY, manager=org.manager, channel="counter", txn_type="deposit", count=2, amount="20.00")
    transaction_day(org.a_bj, DAY, manager=org.manager_bj, channel="atm", txn_type="withdrawal", count=1, amount="100.00")
    measure_day(org.a_sh, DAY, "tests.catalogue_conversions", 3, manager=org.manager)
    measure_day(org.a_bj, DAY, "tests.catalogue_conversions", 2, manager=org.manager_bj)
    measure_day(org.a_sh, DAY, "tests.catalogue_revenue", 12345, manager=org.manager)
    return c


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def page(user, name, **query):
    response = client_for(user).get(reverse(f"reports:{name}"), query)
    return response


def lines_of(response):
    return {line.label: line for line in response.context["result"].level.lines}


def test_catalogue_lists_every_report(org, book, django_assert_max_num_queries):
    client = client_for(org.supervisor)
    client.get(reverse("reports:catalogue"))  # warm the session and permission caches
    with django_assert_max_num_queries(22):
        response = client.get(reverse("reports:catalogue"))
    assert response.status_code == 200
    for name in URLS:
        assert reverse(f"reports:{name}") in response.content.decode()
    assert "2026-06-30" in response.content.decode()


def test_totals_equal_the_sum_of_the_lines_at_every_level(org, book):
    for query in ({}, {"branch": org.a_ho.pk}, {"branch": org.a_cn.pk}, {"branch": org.a_sh.pk}):
        for name in URLS:
            response = page(org.admin, name, **query)
            assert response.status_code == 200, (name, query)
            result = response.context["result"]
            for column in result.columns:
                if column.ratio_of:
                    continue
                summed = sum((line.values.get(column.name) or 0) for line in result.level.lines)
                assert summed == (result.level.total.get(column.name) or 0), (name, query, column.name)


def test_balances_by_branch_subtree_for_the_bank(org, book):
    response = page(org.admin, "balances_report", branch=org.a_cn.pk)
    lines = lines_of(response)
    assert set(lines) == {"A-SH A-SH branch", "A-BJ A-BJ branch"}
    assert lines["A-SH A-SH branch"].values["aum"] == D("1350.75")  # SH and its sub-branch
    assert lines["A-BJ A-BJ branch"].values["aum"] == D("10.00")
    # The bank: one line per top branch, everything of bank A and nothing of bank B.
    bank = page(org.admin, "balances_report").context["result"].level
    assert bank.total["aum"] == D("6360.75")


def test_a_branch_with_children_shows_them_and_itself(org, book):
    response = page(org.admin, "balances_report", branch=org.a_sh.pk)
    lines = lines_of(response)
    assert lines["A-SH-1 A-SH-1 branch"].values["aum"] == D("300.25")
    itself = lines["A-SH A-SH branch itself"]
    assert itself.values["aum"] == D("1050.50")
    assert "exact=1" in itself.link and "by=manager" in itself.link


def test_drill_down_keeps_the_filters(org, book):
    query = {"date": "2026-06-30", "compare": "2026-05-31", "branch": org.a_cn.pk}
    response = page(org.admin, "balances_report", **query)
    for line in response.context["result"].level.lines:
        assert "date=2026-06-30" in line.link and "compare=2026-05-31" in line.link
    # SH has a sub-branch: the next level is branches; BJ has none: its managers.
    lines = lines_of(response)
    assert "by=branch" in lines["A-SH A-SH branch"].link
    assert "by=manager" in lines["A-BJ A-BJ branch"].link
    managers = client_for(org.admin).get(reverse("reports:balances_report") + lines["A-BJ A-BJ branch"].link)
    manager_line = managers.context["result"].level.lines[0]
    assert manager_line.label == org.manager_bj.display_name
    assert "compare=2026-05-31" in manager_line.link and f"manager={org.manager_bj.pk}" in manager_line.link
    customers = client_for(org.admin).get(reverse("reports:balances_report") + manager_line.link)
    assert customers.status_code == 200
    assert [line.label for line in customers.context["result"].level.lines] == ["C-BJ-1 王一"]
    assert "compare=2026-05-31" in customers.context["crumbs"][0][1]


def test_comparison_with_another_date(org, book):
    response = page(org.admin, "balances_report", branch=org.a_cn.pk, compare="2026-05-31")
    lines = lines_of(response)
    assert lines["A-SH A-SH branch"].compared["aum"] == D("960.00")
    assert response.context["result"].level.compared_total["aum"] == D("965.00")
    body = response.content.decode()
    assert "Difference" in body and "390.75" in body  # 1350.75 - 960.00


def test_a_supervisor_sees_only_their_subtree(org, book):
    response = page(org.supervisor, "balances_report")
    lines = lines_of(response)
    assert set(lines) == {"A-SH-1 A-SH-1 branch", "A-SH A-SH branch itself"}
    assert response.context["result"].level.total["aum"] == D("1350.75")
    assert page(org.supervisor, "balances_report", branch=org.a_bj.pk).status_code == 404
    assert page(org.supervisor, "balances_report", branch=org.a_cn.pk).status_code == 404
    assert page(org.supervisor, "balances_report", manager=org.manager_bj.pk).status_code == 404
    assert page(org.supervisor, "balances_report", branch=org.b_hk.pk).status_code == 404
    assert page(org.supervisor, "balances_report", branch=org.a_sh_sub.pk).status_code == 200


def test_a_manager_sees_only_their_own_book(org, book):
    response = page(org.manager, "balances_report")
    assert response.status_code == 200
    result = response.context["result"]
    assert [line.label for line in result.level.lines] == [org.manager.display_name]
    assert result.level.total["aum"] == D("1050.50")
    assert page(org.manager, "balances_report", manager=org.manager_sub.pk).status_code == 404
    assert page(org.manager, "balances_report", branch=org.a_sh.pk).status_code == 404
    customers = page(org.manager, "balances_report", manager=org.manager.pk, by="customer")
    assert {line.label for line in customers.context["result"].level.lines} == {"C-SH-1 张一", "C-SH-2 张二"}
    # Another bank's user sees nothing of bank A.
    other = page(org.b_manager, "balances_report")
    assert other.context["result"].level.total.get("aum") == D("77.00")


def test_the_customers_step_lists_only_visible_customers_and_totals_its_lines(org, book):
    response = page(org.supervisor, "balances_report", branch=org.a_sh.pk, manager=org.manager.pk, by="customer")
    assert response.status_code == 200
    level = response.context["result"].level
    assert [line.label for line in level.lines] == ["C-SH-1 张一", "C-SH-2 张二"]  # by AUM, largest first
    assert level.total["aum"] == sum(line.values["aum"] for line in level.lines) == D("1050.50")
    assert level.customers == 2
    assert reverse("customers:detail", args=["C-SH-1"]) in response.content.decode()
    # Rows of a customer outside the user's scope never show, even with a snapshot row in the subtree.
    customer_day(book.bj, DAY, branch=org.a_sh, manager=org.manager, aum=D("1.00"))
    again = page(org.supervisor, "balances_report", branch=org.a_sh.pk, manager=org.manager.pk, by="customer")
    assert "C-BJ-1" not in {line.key for line in again.context["result"].level.lines}


def test_customers_report_by_stage_and_movement(org, book):
    response = page(org.admin, "customers_report", compare="2026-05-31", branch=org.a_sh.pk)
    total = response.context["result"].level.total
    assert total["customers"] == 3 and total["d_active"] == 2 and total["d_dormant"] == 1
    movement = response.context["sections"][0]
    rows = {row[0]: row for row in movement["rows"]}
    # header: before-label, prospect, active, dormant, declining, exited, left, total
    assert rows["Active"][3] == "1"  # sh2: active -> dormant
    assert rows["Active"][2] == "1"  # sh1: active -> active
    assert rows["New (not in the earlier snapshot)"][2] == "1"  # sub
    by_tier = page(org.admin, "customers_report", dim="tier")
    assert by_tier.context["result"].level.total["d_wealth"] == 1


def test_penetration_and_category_pairs(org, book):
    response = page(org.admin, "penetration_report")
    total = response.context["result"].level.total
    assert total["customers"] == 5 and total["products"] == 9 and total["cross"] == 3
    assert total["per_customer"] == D("1.80")
    pairs = {row[0]: row[1] for row in response.context["sections"][2]["rows"]}
    assert pairs["Assets + Liabilities"] == "2"
    assert pairs["Assets + Fee-based business"] == "2"
    assert pairs["Fee-based business + Liabilities"] == "1"


def test_transactions_by_channel_and_type(org, book):
    response = page(org.admin, "transactions_report", date_from="2026-06-01")
    total = response.context["result"].level.total
    assert total["count"] == 8 and total["amount"] == D("620.00")
    section = response.context["sections"][0]
    assert section["total"][2] == "8"
    assert {row[0] for row in section["rows"]} == {"Online banking", "Counter", "ATM"}


def test_product_and_currency_filters_read_the_holdings(org, book):
    response = page(org.admin, "balances_report", product=book.deposit.pk)
    assert response.context["result"].level.total["balance"] == D("1132.50")
    usd = page(org.admin, "balances_report", currency="usd")
    assert usd.context["result"].level.total["balance"] == D("72.00")
    assert page(org.admin, "balances_report", currency="US1").status_code == 400


def test_measures_are_labelled_by_the_registry(org, book):
    response = page(org.supervisor, "measures_report")
    body = response.content.decode()
    assert "Campaign conversions (test)" in body and "Revenue shared (test)" in body
    assert "tests.catalogue" not in body
    total = response.context["result"].level.total
    assert total["m0"] == 3 and total["m1"] == D("123.45")  # minor units shown as an amount


def test_bad_input_is_a_message_not_an_error(org, book):
    response = page(org.admin, "balances_report", date="yesterday", branch="x")
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()
    response = page(org.admin, "transactions_report", date="2026-06-01", date_from="2026-06-30")
    assert response.status_code == 400
    assert "The start of the range is after the business date." in response.content.decode()
    assert page(org.admin, "balances_report", branch=999999).status_code == 404


def test_no_permission_no_page(org, book):
    assert page(org.teller, "balances_report").status_code == 403
    assert Client().get(reverse("reports:balances_report")).status_code == 302


@pytest.mark.parametrize("name", URLS)
def test_query_counts_are_bounded(org, book, name, django_assert_max_num_queries):
    client = client_for(org.supervisor)
    client.get(reverse(f"reports:{name}"))  # warm the session and permission caches
    with django_assert_max_num_queries(22):
        assert client.get(reverse(f"reports:{name}"), {"compare": "2026-05-31"}).status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get(reverse(f"reports:{name}"), {"manager": org.manager.pk, "by": "customer"}).status_code == 200


def test_export_of_the_customers_step_is_audited(org, book):
    client = client_for(org.supervisor)
    response = client.get(
        reverse("reports:balances_report"), {"branch": org.a_sh.pk, "manager": org.manager.pk, "by": "customer", "export": "xlsx"}
    )
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Customer"
    assert [row[0] for row in rows[1:3]] == ["C-SH-1 张一", "C-SH-2 张二"]
    assert rows[-1][0] == "Total" and Decimal(str(rows[-1][4])) == D("1050.50")
    entry = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).latest("pk")
    assert entry.object_type == "customers.customer"
    assert entry.actor_id == org.supervisor.pk


def test_export_of_a_branch_level_has_the_sections(org, book):
    response = client_for(org.admin).get(reverse("reports:balances_report"), {"branch": org.a_cn.pk, "export": "xlsx"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert len(workbook.worksheets) == 3  # the table, by product, trend
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:2] == ("Line", "AUM")
    assert rows[-1][0] == "Total"


def test_the_page_has_a_chart_and_a_print_layout(org, book):
    body = page(org.admin, "balances_report").content.decode()
    assert 'id="report-charts"' in body and "chart.umd.min.js" in body
    assert "@media print" in body
    assert "report-print-header" in body


def test_chinese_page(org, book):
    client = client_for(org.supervisor)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("reports:balances_report"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "导出 XLSX" in response.content.decode()


def test_the_trend_reads_the_holdings_at_month_ends(org, book):
    trend = page(org.admin, "balances_report").context["sections"][1]
    assert trend["rows"] == [["2026-06-30", "1,132.50", "100.00"]]  # no holdings at the end of May
    chart = page(org.admin, "balances_report").context["charts"][-1]
    assert chart["type"] == "line" and chart["labels"] == ["2026-06-30"]


def test_a_transactions_comparison_reads_a_range_as_long(org, book):
    transaction_day(org.a_sh, BEFORE, manager=org.manager, count=7, amount="70.00")
    transaction_day(org.a_sh, BEFORE - datetime.timedelta(days=2), manager=org.manager, count=100, amount="1.00")
    response = page(org.admin, "transactions_report", date_from="2026-06-29", compare="2026-05-31")
    level = response.context["result"].level
    assert level.total["count"] == 8 and level.compared_total["count"] == 7  # 30 May..31 May, not 29 May
