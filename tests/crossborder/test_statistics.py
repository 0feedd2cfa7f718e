"""Cross-border statistics: per partner bank and direction, SLA met %, fees; scoped (a partner's
user sees only the requests exchanged with their bank); drill-down; XLSX; English and Chinese."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from crossborder.agreements import services as agreements
from crossborder.requests import services, statistics
from crossborder.requests.models import CrossBorderRequest
from tests.crossborder.test_requests import submit, xb  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]
S = CrossBorderRequest.Status


@pytest.fixture
def data(xb):  # noqa: F811
    agreements.accept(xb.admin, xb.bank_b.pk)
    agreements.accept(xb.b_admin, xb.bank_a.pk)
    met = submit(xb, to_branch=xb.b_ldn)
    services.accept(xb.b_officer, met.pk)
    services.transition(xb.b_officer, met.pk, S.IN_PROGRESS)
    services.complete(xb.b_officer, met.pk, fee_amount_minor=2_500, fee_currency="GBP")
    late = submit(xb, to_branch=xb.b_ldn)
    services.accept(xb.b_officer, late.pk)
    services.transition(xb.b_officer, late.pk, S.IN_PROGRESS)
    services.complete(xb.b_officer, late.pk, fee_amount_minor=1_000, fee_currency="GBP")
    CrossBorderRequest.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    submit(xb, to_branch=xb.b_ldn)  # open
    inside = submit(xb)  # to London of the same bank
    services.transition(xb.manager, inside.pk, S.CANCELLED)
    return xb


def test_rows_per_partner_and_direction(data):
    today = timezone.localdate()
    rows = {(r["partner"].code, r["direction"]): r for r in statistics.by_partner(data.admin, today, today)}
    sent = rows[(data.bank_b.code, "sent")]
    assert (sent["total"], sent["completed"], sent["open"], sent["sla_met"], sent["sla_missed"]) == (3, 2, 1, 1, 1)
    assert sent["sla_met_pct"] == 50.0 and sent["fees"] == {"GBP": 3_500}
    within = rows[(data.bank_a.code, "within")]
    assert within["cancelled"] == 1 and within["sla_met_pct"] is None
    # The partner's side sees the same requests as received, and nothing else of ours.
    theirs = statistics.by_partner(data.b_admin, today, today)
    assert [(r["partner"].code, r["direction"], r["total"]) for r in theirs] == [(data.bank_a.code, "received", 3)]


def test_page_chart_drilldown_export_and_chinese(client, data, django_assert_max_num_queries):
    client.force_login(data.admin)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("crossborder:statistics"))
    body = page.content.decode()
    assert page.status_code == 200 and "xborder-stats-data" in body and "chart.umd.min.js" in body
    assert f"?partner={data.bank_b.code}&amp;direction=sent" in body and "50.0%" in body
    drill = client.get(reverse("crossborder:requests"), {"partner": data.bank_b.code, "direction": "sent"})
    assert drill.status_code == 200 and len(drill.context["table"].rows) == 3
    today = timezone.localdate().isoformat()
    export = client.get(reverse("crossborder:statistics"), {"date_from": today, "date_to": today, "export": "xlsx"})
    content = b"".join(export.streaming_content) if export.streaming else export.content
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "bank" and len(rows) == 3
    bad = client.get(reverse("crossborder:statistics"), {"date_from": today, "date_to": "2000-01-01"})
    assert "The end must not be before the start." in bad.content.decode()
    client.cookies["django_language"] = "zh-hans"
    assert "跨境服务统计" in client.get(reverse("crossborder:statistics"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
