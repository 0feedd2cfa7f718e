"""The statement pages: scoped (another bank: 404; a supervisor: their subtree's lines), XLSX
export, each side's approval request, in English and Chinese."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from crossborder.profitsharing import services
from crossborder.profitsharing.models import ProfitStatement
from tests.crossborder.profitsharing.test_statements import PERIOD, complete_request, setup  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement(setup):  # noqa: F811
    org, customer = setup["org"], setup["customer"]
    complete_request(org, customer, 1, 8_000)
    complete_request(org, customer, 2, 2_001, day=datetime.date(2026, 10, 3))
    services.compute_statement(org.bank_a, PERIOD)
    return ProfitStatement.objects.get()


def test_list_and_detail_scoped(client, setup, statement, django_assert_max_num_queries):  # noqa: F811
    org = setup["org"]
    client.force_login(org.admin)
    page = client.get(reverse("crossborder:profit_statements"))
    assert page.status_code == 200 and "2026-10" in page.content.decode()
    with django_assert_max_num_queries(25):
        detail = client.get(reverse("crossborder:profit_statement", args=[statement.pk]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "crossborder-request:1" in body and "A-LDN 支行" in body
    client.force_login(org.b_admin)
    assert client.get(reverse("crossborder:profit_statement", args=[statement.pk])).status_code == 404
    assert "2026-10" not in client.get(reverse("crossborder:profit_statements")).content.decode()
    client.force_login(org.supervisor)  # Shanghai: the originating lines only
    body = client.get(reverse("crossborder:profit_statement", args=[statement.pk])).content.decode()
    assert "A-SH 支行" in body and "A-LDN 支行" not in body


def test_lines_export_xlsx(client, setup, statement, english_staff):  # noqa: F811
    client.force_login(setup["org"].admin)
    response = client.get(reverse("crossborder:profit_statement", args=[statement.pk]) + "?export=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 4
    share_column = [str(title).lower() for title in rows[0]].index("share (minor units)")
    assert sum(int(row[share_column]) for row in rows[1:]) == 10_001


def test_request_approval_page_and_chinese(client, setup, statement):  # noqa: F811
    officer = setup["officer"]
    client.force_login(officer)
    response = client.post(reverse("crossborder:profit_statement_approve", args=[statement.pk]), {"side": "originating"})
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.originating_request_id is not None
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse("crossborder:profit_statements"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "分润对账单" in body
