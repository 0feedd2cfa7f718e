"""The revenue feed: CSV (English or Chinese column names) and XLSX, all or nothing with errors
naming row and field, re-delivery loads nothing twice, reversals net, and the inbox job moves
each file to processed/ or rejected/ with its error report."""

import datetime
import io
import os

import openpyxl
import pytest

from crossborder.profitsharing import feed, services
from crossborder.profitsharing.models import ProfitStatementLine, RevenueEvent
from crossborder.profitsharing.tasks import REVENUE_FEED
from ocrm.batch.per_bank import run_per_bank
from tests.crossborder.profitsharing.test_statements import PERIOD, setup  # noqa: F401

pytestmark = pytest.mark.django_db

HEADER = (
    "source_reference,customer,product,revenue_type,fee_type,amount,currency,booked_on,"
    "originating_branch,servicing_branch,reversal_of,reason\n"
)


def csv(*lines, header=HEADER):
    return (header + "".join(line + "\n" for line in lines)).encode()


def row(ref="R1", customer="C-1", amount="100.01", currency="CNY", day="2026-10-05", kind="crossborder_fee", **extra):
    reversal, reason = extra.get("reversal_of", ""), extra.get("reason", "")
    return f"{ref},{customer},,{kind},,{amount},{currency},{day},A-SH,A-LDN,{reversal},{reason}"


def test_csv_loads_and_statement_shares_it(setup):  # noqa: F811
    bank = setup["org"].bank_a
    summary = feed.load(bank, csv(row("R1"), row("R2", amount="50")))
    assert summary == {"rows": 2, "loaded": 2, "unchanged": 0}
    event = RevenueEvent.objects.get(source_reference="R1")
    assert event.amount_minor == 10_001 and event.servicing_branch == setup["org"].a_ldn
    # Re-delivery: nothing twice; a reversal of R1 in a later file nets against it.
    assert feed.load(bank, csv(row("R1"), row("R2", amount="50")))["unchanged"] == 2
    feed.load(bank, csv(row("R3", amount="-100.01", day="2026-10-20", reversal_of="R1", reason="refund")))
    reversal = RevenueEvent.objects.get(source_reference="R3")
    assert reversal.reversal_of == event and reversal.revenue_type == event.revenue_type
    services.compute_statement(bank, PERIOD)
    lines = ProfitStatementLine.objects.filter(event__source_reference__in=["R1", "R3"])
    assert sum(lines.values_list("amount_minor", flat=True)) == 0


def test_chinese_header_and_xlsx(setup):  # noqa: F811
    bank = setup["org"].bank_a
    chinese = "来源编号,客户号,收入类型,金额,币种,记账日期,发起机构,服务机构\n"
    assert feed.load(bank, (chinese + "Z1,C-1,fee,12.5,CNY,2026-10-01,A-SH,A-LDN\n").encode())["loaded"] == 1
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["X1", "C-1", "", "fee", "card", "7.00", "CNY", "2026-10-02", "A-SH", "A-LDN", "", ""])
    content = io.BytesIO()
    book.save(content)
    assert feed.load(bank, content.getvalue())["loaded"] == 1
    assert RevenueEvent.objects.get(source_reference="X1").fee_type == "card"


def test_errors_name_row_and_field_and_nothing_is_written(setup):  # noqa: F811
    bank = setup["org"].bank_a
    content = csv(
        row("E1"),
        row("E2", customer="NOPE"),
        row("E3", amount="1.234"),
        row("E4", currency="EURO", day="2026-13-01"),
        row("E5", kind="bonus"),
        row("E1"),
        row("E6", amount="-5"),
        row("E7", amount="-5", reversal_of="UNKNOWN", reason="x"),
    )
    with pytest.raises(feed.FeedRejected) as error:
        feed.load(bank, content)
    found = {(e["row"], e["field"]) for e in error.value.errors}
    assert {
        (3, "customer"),
        (4, "amount"),
        (5, "currency"),
        (5, "booked_on"),
        (6, "revenue_type"),
        (7, "source_reference"),
        (8, "reversal_of"),
    } <= found
    assert not RevenueEvent.objects.exists()
    with pytest.raises(feed.FeedRejected) as error:
        feed.load(bank, b"source_reference,colour\nA,red\n")
    assert error.value.errors[0]["row"] == 0 and "colour" in error.value.errors[0]["message"]
    with pytest.raises(feed.FeedRejected):
        feed.load(bank, b"%PDF-1.4 not a sheet")


def test_inbox_job_moves_files(setup, settings, tmp_path):  # noqa: F811
    bank = setup["org"].bank_a
    settings.REVENUE_FEED_INBOX = str(tmp_path)
    folder = tmp_path / bank.code
    folder.mkdir()
    (folder / "a_good.csv").write_bytes(csv(row("J1")))
    (folder / "b_bad.csv").write_bytes(csv(row("J2", customer="NOPE")))
    old = datetime.datetime.now().timestamp() - 60
    for path in folder.iterdir():
        os.utime(path, (old, old))
    run_per_bank(REVENUE_FEED, business_date="2026-10-05", bank_id=bank.pk)
    assert (folder / "processed" / "a_good.csv").exists()
    assert (folder / "rejected" / "b_bad.csv").exists()
    report = (folder / "rejected" / "b_bad.csv.errors.txt").read_text(encoding="utf-8")
    assert report.startswith("2\tcustomer\t")
    assert list(RevenueEvent.objects.values_list("source_reference", flat=True)) == ["J1"]
