"""Cross-border statistics: by partner and direction, corridor (country, branch), service type and
status; SLA met/missed and open past due; average business hours to complete in the receiving
branch's calendar; fees and the revenue shared on the profit statements per side; scoped on both
sides (a partner's user sees only the requests exchanged with their bank); drill-down to the
requests list with the same numbers; XLSX audited; English and Chinese; bounded queries."""

import datetime
import io
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import openpyxl
import pytest
from django.urls import reverse

from crossborder.agreements import services as agreements
from crossborder.profitsharing import services as profitsharing
from crossborder.profitsharing.models import RevenueEvent
from crossborder.requests import services, statistics
from crossborder.requests.models import CrossBorderRequest
from crossborder.requests.signals import request_completed
from customers.master.models import FxRate
from ocrm.audit.models import AuditLog
from sysadmin.org.models import Holiday
from tests.crossborder.profitsharing.test_statements import active_rule
from tests.crossborder.test_requests import submit, xb  # noqa: F401
from tests.factories import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]
S = CrossBorderRequest.Status
UTC = datetime.UTC
# Monday 12 January 2026, 02:00 UTC: 10:00 in Shanghai, before opening in London (starts 09:00).
MONDAY = datetime.datetime(2026, 1, 12, 2, 0, tzinfo=UTC)
DAY = MONDAY.date()
NOW = datetime.datetime(2026, 1, 20, 12, 0, tzinfo=UTC)


def finish(org, officer, request, closed_at, fee=None):
    services.accept(officer, request.pk)
    services.transition(officer, request.pk, S.IN_PROGRESS)
    services.complete(officer, request.pk, fee_amount_minor=fee, fee_currency="GBP" if fee else "")
    CrossBorderRequest.objects.filter(pk=request.pk).update(closed_at=closed_at)


@pytest.fixture
def data(xb):  # noqa: F811
    agreements.accept(xb.admin, xb.bank_b.pk)
    agreements.accept(xb.b_admin, xb.bank_a.pk)
    # Partner bank's London: met in 4 business hours (09:00-13:00 London), fee 25.00 GBP.
    xb.met = submit(xb, to_branch=xb.b_ldn, now=MONDAY)
    finish(xb, xb.b_officer, xb.met, datetime.datetime(2026, 1, 12, 13, 0, tzinfo=UTC), fee=2_500)
    # Late: Tuesday 13 January is a London holiday of bank B, so Monday 8 h + Wednesday 2 h = 10 h
    # (due Monday 17:00 London: missed), fee 10.00 GBP.
    Holiday.objects.create(bank=xb.bank_b, country="GB", date=datetime.date(2026, 1, 13), name="test holiday")
    xb.late = submit(xb, to_branch=xb.b_ldn, now=MONDAY)
    finish(xb, xb.b_officer, xb.late, datetime.datetime(2026, 1, 14, 11, 0, tzinfo=UTC), fee=1_000)
    xb.open = submit(xb, to_branch=xb.b_ldn, now=MONDAY)  # open, past its due time by NOW
    xb.inside = submit(xb, now=MONDAY)  # to London of the same bank, cancelled
    services.transition(xb.manager, xb.inside.pk, S.CANCELLED)
    return xb


def rows_of(user, group, **kwargs):
    return {row["label"]: row for row in statistics.summarize(user, DAY, DAY, group, now=NOW, **kwargs)}


def test_partner_rows_sla_and_business_hours(data):
    rows = rows_of(data.admin, "partner")
    sent = rows[f"{data.bank_b.code} {data.bank_b.name_local} · Sent"]
    assert (sent["total"], sent["completed"], sent["open"], sent["overdue"]) == (3, 2, 1, 1)
    assert (sent["sla_met"], sent["sla_missed"], sent["sla_met_pct"]) == (1, 1, 50.0)
    assert sent["avg_business_hours"] == 7.0  # (4 + 10) / 2, the holiday skipped
    assert sent["fees"] == {"GBP": 3_500} and sent["shared"] == {}  # no statement asked for
    within = rows[f"{data.bank_a.code} {data.bank_a.name_local} · Within the bank"]
    assert within["cancelled"] == 1 and within["sla_met_pct"] is None and within["avg_business_hours"] is None
    # The partner's side sees the same requests as received, and nothing else of ours.
    theirs = statistics.summarize(data.b_admin, DAY, DAY, "partner", now=NOW)
    assert [(r["label"], r["total"], r["avg_business_hours"]) for r in theirs] == [
        (f"{data.bank_a.code} {data.bank_a.name_local} · Received", 3, 7.0)
    ]
    # A manager of the partner bank outside London's queue sees nothing.
    assert statistics.summarize(data.b_manager, DAY, DAY, "partner", now=NOW) == []
    summed = statistics.totals(list(rows.values()))
    assert (summed["total"], summed["sla_met_pct"], summed["avg_business_hours"], summed["fees"]) == (
        4,
        50.0,
        7.0,
        {"GBP": 3_500},
    )


def test_corridors_service_and_status(data):
    countries = rows_of(data.admin, "country")
    assert countries["China → United Kingdom"]["total"] == 4
    assert countries["China → United Kingdom"]["drill"] == {"from_country": "CN", "to_country": "GB"}
    branches = rows_of(data.admin, "branch")
    to_partner = branches[f"BKA {data.a_sh.name_local} → BKB {data.b_ldn.name_local}"]
    assert (to_partner["total"], to_partner["sla_missed"]) == (3, 1)
    assert to_partner["drill"] == {"from_bank": "BKA", "from_branch": "A-SH", "to_bank": "BKB", "to_branch": "B-LDN"}
    assert branches[f"BKA {data.a_sh.name_local} → BKA {data.a_ldn.name_local}"]["cancelled"] == 1
    service = rows_of(data.admin, "service")
    assert list(service) == [data.verification.name_en] and service[data.verification.name_en]["total"] == 4
    status = rows_of(data.admin, "status")
    assert {label: row["total"] for label, row in status.items()} == {"Completed": 2, "Submitted": 1, "Cancelled": 1}
    assert status["Completed"]["avg_business_hours"] == 7.0


def test_revenue_shared_per_side_with_reversal_netted(data):
    checker = make_staff("a.xb.chk", branch=data.a_ho, roles=["crossborder_officer"])
    active_rule(
        data,
        data.crossborder_officer,
        checker,
        [{"side": "originating", "percentage": Decimal("40")}, {"side": "servicing", "percentage": Decimal("60")}],
    )
    FxRate.objects.create(
        bank=data.bank_a,
        currency="GBP",
        rate=Decimal("9.2"),
        as_of=DAY,
        effective_at=datetime.datetime(2026, 1, 12, 9, tzinfo=UTC),
    )
    for request in (data.met, data.late):  # what the request's completion sends after commit
        request.refresh_from_db()
        request_completed.send(
            sender=CrossBorderRequest,
            bank_id=request.bank_id,
            request_id=request.pk,
            originating_branch_id=request.from_branch_id,
            servicing_branch_id=request.to_branch_id,
            servicing_bank_id=request.to_bank_id,
            customer_id=request.customer_id,
            fee_type="crossborder_service",
            amount_minor=request.fee_amount_minor,
            currency=request.fee_currency,
            booked_on=DAY,
        )
    event = RevenueEvent.objects.get(source_reference=f"crossborder-request:{data.late.pk}")
    profitsharing.reverse_event(event, "fee waived", datetime.date(2026, 1, 15))
    profitsharing.compute_statement(data.bank_a, DAY)
    rows = rows_of(data.admin, "partner", with_revenue=True)
    sent = rows[f"{data.bank_b.code} {data.bank_b.name_local} · Sent"]
    # 25.00 GBP x 9.2 = 230.00 CNY: 40% / 60%; the late request's fee reversed: nets to nothing.
    assert sent["shared"] == {"CNY": {"originating": 9_200, "servicing": 13_800}}
    theirs = statistics.summarize(data.b_admin, DAY, DAY, "partner", now=NOW, with_revenue=True)
    assert theirs[0]["shared"] == {"CNY": {"originating": 9_200, "servicing": 13_800}}


def test_page_charts_drilldown_both_sides_export_and_chinese(client, data, django_assert_max_num_queries):
    client.force_login(data.admin)
    params = {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()}
    for group, _label in statistics.GROUP_CHOICES:
        with django_assert_max_num_queries(25):
            page = client.get(reverse("crossborder:statistics"), {**params, "group": group})
        assert page.status_code == 200 and page.context["rows"], group
    body = page.content.decode()
    assert "xborder-stats-data" in body and "xborder-hours-data" in body and "chart.umd.min.js" in body
    page = client.get(reverse("crossborder:statistics"), {**params, "group": "branch"})
    row = next(r for r in page.context["rows"] if r["total"] == 3)
    assert "50.0%" in page.content.decode() and "7.0" in page.content.decode()
    # Drill-down: the requests behind the numbers, the period kept.
    for url, expected in ((row["url"], 3), (row["url_missed"], 1), (row["url_completed"], 2)):
        query = dict(parse_qsl(urlsplit(url).query))
        assert query["submitted_from"] == DAY.isoformat() and query["from_branch"] == "A-SH"
        drill = client.get(url)
        assert drill.status_code == 200 and len(drill.context["table"].rows) == expected, url
    assert {r.record.pk for r in client.get(row["url_missed"]).context["table"].rows} == {data.late.pk}
    # The receiving side drills down into the same requests; a user of neither side gets none.
    client.force_login(data.b_officer)
    page = client.get(reverse("crossborder:statistics"), {**params, "group": "country"})
    (theirs,) = page.context["rows"]
    assert theirs["total"] == 3 and len(client.get(theirs["url"]).context["table"].rows) == 3
    client.force_login(data.b_manager)
    assert len(client.get(theirs["url"]).context["table"].rows) == 0
    # XLSX, audited.
    client.force_login(data.admin)
    before = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count()
    export = client.get(reverse("crossborder:statistics"), {**params, "group": "partner", "export": "xlsx"})
    content = b"".join(export.streaming_content) if export.streaming else export.content
    sheet = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert sheet[0][0] == "group" and "Average business hours to complete" in sheet[0] and len(sheet) == 3
    assert "Revenue shared: servicing side" in sheet[0]  # a system administrator reads statements
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count() == before + 1
    bad = client.get(reverse("crossborder:statistics"), {"date_from": DAY.isoformat(), "date_to": "2000-01-01"})
    assert "The end must not be before the start." in bad.content.decode()
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse("crossborder:statistics"), {**params, "group": "service"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content
    assert "跨境服务统计" in body.decode() and data.verification.name_local in body.decode()


def test_revenue_columns_need_the_statement_permission(client, data):
    client.force_login(data.manager)
    page = client.get(reverse("crossborder:statistics"), {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()})
    assert page.status_code == 200 and not page.context["with_revenue"]
    assert "Revenue shared" not in page.content.decode()
