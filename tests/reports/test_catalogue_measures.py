"""The dedicated report pages over the apps' measures (campaign results, service requests,
cross-border statistics, profit-sharing totals), and the measures the apps register for them."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crossborder.profitsharing import services as profit_sharing
from ocrm import reporting
from sysadmin.roles import sync_roles
from tests.crossborder.profitsharing.test_statements import PERIOD, active_rule, complete_request
from tests.factories import make_customer, make_staff
from tests.reports.factories_catalogue import BEFORE, DAY, measure_day, snapshot_run
from workbench.servicerequests import services as service_requests
from workbench.servicerequests.models import ServiceRequestType

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

D = Decimal
URLS = ["campaigns_report", "servicerequests_report", "crossborder_report", "profitsharing_report"]
EARLIER = DAY - datetime.timedelta(days=1)


@pytest.fixture
def figures(org):
    for bank in (org.bank_a, org.bank_b):
        for day in (DAY, EARLIER, BEFORE):
            snapshot_run(bank, day)
    measure_day(org.a_sh, DAY, "campaigns.responses", 10, manager=org.manager)
    measure_day(org.a_sh, DAY, "campaigns.conversions", 4, manager=org.manager)
    measure_day(org.a_sh, EARLIER, "campaigns.responses", 5, manager=org.manager)
    measure_day(org.a_sh, EARLIER, "campaigns.conversions", 1, manager=org.manager)
    measure_day(org.a_bj, DAY, "campaigns.responses", 2, manager=org.manager_bj)
    measure_day(org.a_sh_sub, BEFORE, "campaigns.responses", 7, manager=org.manager_sub)
    measure_day(org.a_sh, DAY, "servicerequests.opened", 3, manager=org.manager)
    measure_day(org.a_sh, DAY, "servicerequests.completed", 2, manager=org.manager)
    measure_day(org.a_ldn, DAY, "crossborder.requests_completed", 4)
    measure_day(org.a_ldn, DAY, "crossborder.requests_sla_met", 3)
    measure_day(org.a_sh, DAY, "profitsharing.originating_share", 3333, manager=org.manager)
    measure_day(org.a_ldn, DAY, "profitsharing.servicing_share", 6667)
    measure_day(org.b_hk, DAY, "campaigns.responses", 99, manager=org.b_manager)  # another bank: never shown
    return org


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def page(user, name, **query):
    return client_for(user).get(reverse(f"reports:{name}"), query)


def test_every_dedicated_report_is_in_the_catalogue(figures):
    body = page(figures.admin, "catalogue").content.decode()
    for name in URLS:
        assert reverse(f"reports:{name}") in body


def test_campaign_results_over_a_range_with_a_ratio(figures):
    org = figures
    one_day = page(org.admin, "campaigns_report").context["result"].level
    assert one_day.total["m0"] == 12 and one_day.total["m1"] == 4  # 99 of bank B are not here
    assert one_day.total["conversion_rate"] == D("0.33")
    response = page(org.admin, "campaigns_report", date_from=f"{EARLIER:%Y-%m-%d}")
    result = response.context["result"]
    assert result.level.total["m0"] == 17 and result.level.total["m1"] == 5
    assert result.level.total["conversion_rate"] == D("0.29")  # of the summed parts, never a sum of ratios
    by_day = response.context["sections"][0]
    assert [row[0] for row in by_day["rows"]] == [f"{EARLIER:%Y-%m-%d}", f"{DAY:%Y-%m-%d}"]
    assert by_day["total"][1:3] == ["17", "5"]
    charts = response.context["charts"]
    assert [c["type"] for c in charts] == ["bar", "line"]
    body = response.content.decode()
    assert "Campaign responses" in body and "campaigns.responses" not in body


def test_totals_equal_the_sum_of_the_lines_and_drill_down_keeps_the_filters(figures):
    org = figures
    for name in URLS:
        for query in ({}, {"branch": org.a_cn.pk}, {"branch": org.a_sh.pk, "by": "manager"}):
            response = page(org.admin, name, date_from=f"{EARLIER:%Y-%m-%d}", **query)
            assert response.status_code == 200, (name, query)
            result = response.context["result"]
            for column in result.columns:
                if column.ratio_of or column.sum_of:
                    continue
                summed = sum((line.values.get(column.name) or 0) for line in result.level.lines)
                assert summed == (result.level.total.get(column.name) or 0), (name, query, column.name)
            for line in result.level.lines:
                if line.link:
                    assert f"date_from={EARLIER:%Y-%m-%d}" in line.link, (name, line.link)


def test_comparison_with_another_date(figures):
    org = figures
    result = page(org.admin, "campaigns_report", compare=f"{BEFORE:%Y-%m-%d}").context["result"]
    assert result.level.total["m0"] == 12 and result.level.compared_total["m0"] == 7


def test_profit_sharing_amounts_and_their_total(figures):
    org = figures
    total = page(org.admin, "profitsharing_report").context["result"].level.total
    assert total["m0"] == D("33.33") and total["m1"] == D("66.67") and total["shares_total"] == D("100.00")


def test_cross_border_share_within_the_service_time(figures):
    total = page(figures.admin, "crossborder_report").context["result"].level.total
    assert (total["m0"], total["m1"], total["sla_rate"]) == (4, 3, D("0.75"))


def test_scope_a_manager_sees_their_own_figures_only(figures):
    org = figures
    result = page(org.manager, "campaigns_report").context["result"]
    assert result.level.total["m0"] == 10
    assert page(org.manager, "campaigns_report", branch=org.a_bj.pk).status_code == 404
    assert page(org.manager_bj, "servicerequests_report").context["result"].empty


def test_export_xlsx_and_print(figures):
    response = client_for(figures.admin).get(reverse("reports:crossborder_report"), {"export": "xlsx"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("Line", "Cross-border requests completed", "Cross-border requests completed within the service time")
    assert rows[-1][0] == "Total" and rows[-1][1] == 4
    assert workbook.sheetnames[1] == "By day"
    body = page(figures.admin, "crossborder_report").content.decode()
    assert "@media print" in body and 'id="report-charts"' in body


@pytest.mark.parametrize("name", URLS)
def test_query_counts_are_bounded(figures, name, django_assert_max_num_queries):
    client = client_for(figures.supervisor)
    client.get(reverse(f"reports:{name}"))
    with django_assert_max_num_queries(22):
        assert client.get(reverse(f"reports:{name}"), {"compare": f"{BEFORE:%Y-%m-%d}"}).status_code == 200


def test_chinese_page(figures):
    client = client_for(figures.supervisor)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("reports:campaigns_report"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "活动成果" in response.content.decode()


# --- the measures the apps register for these pages ----------------------------------------------


def run_measure(key, bank, day_start, day_end, business_date):
    with connection.cursor() as cursor:
        cursor.execute(
            reporting.measure(key).sql,
            {"bank_id": bank.pk, "business_date": business_date, "day_start": day_start, "day_end": day_end},
        )
        return cursor.fetchall()


def test_service_request_measures_count_opened_and_completed_on_the_day(org):
    sync_roles()
    service_requests.seed_built_in_types(org.bank_a)
    kind = ServiceRequestType.objects.get(bank=org.bank_a, code="fx_cash_exchange")
    content = {"currency": "USD", "amount": "1000", "branch": "A-SH", "pickup_date": "2026-12-10"}
    customer = make_customer("C-SR-M1", org.a_sh, org.manager)
    request = service_requests.send(org.manager, service_requests.create_request(org.manager, customer, kind, content))
    request = service_requests.confirm(request.customer, request.reference, request.content_hash, "online")
    request = service_requests.start_processing(org.teller, request)
    service_requests.add_attachment(org.teller, request, io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), kind="id_copy")
    request = service_requests.complete_step(org.teller, request)
    service_requests.complete_step(org.teller, request)
    now = timezone.now()
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(hours=1)
    assert run_measure("servicerequests.opened", org.bank_a, start, end, now.date()) == [(org.a_sh.pk, org.manager.pk, 1)]
    completed = run_measure("servicerequests.completed", org.bank_a, start, end, now.date())
    assert completed == [(org.teller.branch_id, org.teller.pk, 1)]
    later = end + datetime.timedelta(days=1)
    assert run_measure("servicerequests.completed", org.bank_a, end, later, later.date()) == []
    assert run_measure("servicerequests.opened", org.bank_b, start, end, now.date()) == []


def test_profit_sharing_measures_book_the_month_on_its_last_day(org):
    checker = make_staff("a.xb2", branch=org.a_ho, roles=["crossborder_officer"])
    active_rule(
        org,
        org.crossborder_officer,
        checker,
        [{"side": "originating", "percentage": D("40")}, {"side": "servicing", "percentage": D("60")}],
    )
    complete_request(org, make_customer("C-PS-1", org.a_sh, org.manager), 7, 10_000)
    profit_sharing.compute_statement(org.bank_a, PERIOD)
    month_end = datetime.date(2026, 10, 31)
    none = datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC)
    assert run_measure("profitsharing.originating_share", org.bank_a, none, none, month_end) == [(org.a_sh.pk, None, 4_000)]
    assert run_measure("profitsharing.servicing_share", org.bank_a, none, none, month_end) == [(org.a_ldn.pk, None, 6_000)]
    assert run_measure("profitsharing.originating_share", org.bank_a, none, none, datetime.date(2026, 10, 30)) == []
