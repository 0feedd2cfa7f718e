"""Scheduled report deliveries (subscriptions) and the monthly formatted branch report."""

import datetime
import io
import logging
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from ocrm.batch.jobs import JobError
from ocrm.batch.models import JobRun
from ocrm.batch.per_bank import Scope
from ocrm.lists.models import ExportFile
from ocrm.notifications.models import Notification
from reports.catalogue import delivery, formatted, tasks
from reports.catalogue.models import ReportSubscription, SubscriptionRun
from reports.snapshots.models import SnapshotRun
from tests.factories import make_customer, make_product
from tests.reports.factories_catalogue import BEFORE, DAY, customer_day, holding_day, snapshot_run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

D = Decimal
UTC = datetime.UTC


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture
def snapshot(org):
    c1 = make_customer("C-SH-1", org.a_sh, org.manager, name_local="张一")
    c2 = make_customer("C-SUB-1", org.a_sh_sub, org.manager_sub, name_local="李一")
    snapshot_run(org.bank_a, DAY)
    snapshot_run(org.bank_a, BEFORE)
    customer_day(c1, DAY, tier="wealth", aum=D("1000.00"), liabilities=D("10.00"), fee_income=D("1.50"), contribution=D("5.00"))
    customer_day(c2, DAY, tier="mass", lifecycle_stage="dormant", aum=D("250.50"))
    customer_day(c1, BEFORE, tier="wealth", aum=D("800.00"))
    holding_day(org.a_sh, DAY, make_product(org.bank_a), manager=org.manager, holders=1, accounts=2, balance="1000.00")
    return c1, c2


def subscription(owner, *, report="balances", query="", local_time=datetime.time(8, 0), skip_if_empty=True, **extra):
    after = extra.pop("after", utc(2026, 6, 1))
    sub = ReportSubscription(
        bank_id=owner.bank_id,
        owner=owner,
        report=report,
        query=query,
        local_time=local_time,
        skip_if_empty=skip_if_empty,
        **extra,
    )
    sub.next_run_at = delivery.next_run(sub, after)
    sub.save()
    return sub


# --- the schedule across daylight-saving changes --------------------------------------------------


def test_a_london_subscription_keeps_its_local_time_across_the_spring_change(org):
    org.supervisor.time_zone = "Europe/London"
    sub = ReportSubscription(owner=org.supervisor, report="balances", local_time=datetime.time(8, 0))
    # Saturday 28 March 2026 is still GMT; the clocks go forward on Sunday 29 March at 01:00 UTC.
    assert delivery.next_run(sub, utc(2026, 3, 27, 9, 0)) == utc(2026, 3, 28, 8, 0)
    assert delivery.next_run(sub, utc(2026, 3, 28, 8, 0)) == utc(2026, 3, 29, 7, 0)
    assert delivery.next_run(sub, utc(2026, 3, 29, 7, 0)) == utc(2026, 3, 30, 7, 0)


def test_a_new_york_weekly_subscription_across_the_autumn_change(org):
    org.manager.time_zone = "America/New_York"
    sub = ReportSubscription(owner=org.manager, report="balances", local_time=datetime.time(7, 30), frequency="weekly", weekday=0)
    # Monday 26 October 2026 07:30 EDT = 11:30 UTC; DST ends Sunday 1 November: Monday 2 November 07:30 EST = 12:30 UTC.
    first = delivery.next_run(sub, utc(2026, 10, 24))
    assert first == utc(2026, 10, 26, 11, 30)
    assert delivery.next_run(sub, first) == utc(2026, 11, 2, 12, 30)


def test_a_monthly_subscription_on_the_31st_comes_on_the_last_day_of_short_months(org):
    org.manager.time_zone = "Asia/Shanghai"
    sub = ReportSubscription(
        owner=org.manager, report="balances", local_time=datetime.time(9, 0), frequency="monthly", day_of_month=31
    )
    assert delivery.next_run(sub, utc(2026, 2, 1)) == utc(2026, 2, 28, 1, 0)


def test_the_beat_job_delivers_at_the_local_time_across_a_dst_change(org, snapshot):
    org.supervisor.time_zone = "Europe/London"
    org.supervisor.save()
    sub = subscription(org.supervisor, after=utc(2026, 3, 28, 9, 0))
    assert sub.next_run_at == utc(2026, 3, 29, 7, 0)
    assert delivery.run_due(utc(2026, 3, 29, 6, 59)) == {"delivered": 0, "skipped": 0, "failed": 0}
    assert delivery.run_due(utc(2026, 3, 29, 7, 1))["delivered"] == 1
    sub.refresh_from_db()
    assert sub.next_run_at == utc(2026, 3, 30, 7, 0)
    run = SubscriptionRun.objects.get(subscription=sub)
    assert run.status == SubscriptionRun.Status.DELIVERED and run.due_at == utc(2026, 3, 29, 7, 0)
    export = ExportFile.objects.get(pk=run.export_id)
    assert export.owner == org.supervisor and export.status == ExportFile.Status.DONE
    workbook = load_workbook(io.BytesIO(export.file.read()))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[-1][0] == "Total" and Decimal(str(rows[-1][1])) == D("1250.50")
    note = Notification.objects.get(recipient=org.supervisor)
    assert "ready" in note.title and note.link == reverse("export_list")
    # The same tick again (a redelivered message) delivers nothing twice.
    assert delivery.run_due(utc(2026, 3, 29, 7, 2))["delivered"] == 0
    assert SubscriptionRun.objects.filter(subscription=sub).count() == 1


def test_an_empty_report_is_skipped_and_logged(org, snapshot, caplog):
    sub = subscription(org.manager_bj)  # no snapshot rows in BJ's book
    with caplog.at_level(logging.INFO, logger="reports.catalogue.delivery"):
        counts = delivery.run_due(sub.next_run_at + datetime.timedelta(minutes=1))
    assert counts["skipped"] == 1
    run = SubscriptionRun.objects.get(subscription=sub)
    assert run.status == SubscriptionRun.Status.SKIPPED and "Nothing to report" in run.message
    assert "skipped" in caplog.text
    assert not ExportFile.objects.filter(owner=org.manager_bj).exists()
    # Without skip-if-empty the empty report is delivered all the same.
    keep = subscription(org.manager_bj, skip_if_empty=False, report="customers")
    delivery.run_due(keep.next_run_at + datetime.timedelta(minutes=1))
    assert SubscriptionRun.objects.get(subscription=keep).status == SubscriptionRun.Status.DELIVERED


def test_a_delivery_out_of_scope_fails_with_a_reason(org, snapshot):
    sub = subscription(org.supervisor, query=f"branch={org.a_sh_sub.pk}")
    org.supervisor.branch = org.a_bj
    org.supervisor.save()
    delivery.run_due(sub.next_run_at + datetime.timedelta(minutes=1))
    run = SubscriptionRun.objects.get(subscription=sub)
    assert run.status == SubscriptionRun.Status.FAILED and "no longer" in run.message
    assert Notification.objects.filter(recipient=org.supervisor, level=Notification.Level.WARNING).exists()


def test_subscribing_from_the_report_page(org, snapshot):
    client = Client()
    client.force_login(org.supervisor)
    query = f"branch={org.a_sh_sub.pk}&date=2026-06-30"
    response = client.post(
        reverse("reports:subscriptions"),
        {"report": "balances", "query": query, "frequency": "daily", "local_time": "07:00", "skip_if_empty": "on"},
    )
    assert response.status_code == 302
    sub = ReportSubscription.objects.get(owner=org.supervisor)
    assert sub.query == f"branch={org.a_sh_sub.pk}"  # every delivery reads the newest snapshot
    assert sub.skip_if_empty
    page = client.get(reverse("reports:subscriptions"))
    assert "AUM, liabilities" in page.content.decode()
    # A weekly one without its weekday: a message on the field, nothing saved.
    bad = client.post(reverse("reports:subscriptions"), {"report": "balances", "frequency": "weekly", "local_time": "07:00"})
    assert bad.status_code == 400 and "Choose the weekday" in bad.content.decode()
    # A branch outside the scope: 404, nothing saved.
    out = client.post(
        reverse("reports:subscriptions"),
        {"report": "balances", "query": f"branch={org.a_bj.pk}", "frequency": "daily", "local_time": "07:00"},
    )
    assert out.status_code == 404
    assert ReportSubscription.objects.filter(owner=org.supervisor).count() == 1
    # Cancelling another person's subscription: 404.
    other = subscription(org.manager)
    assert client.post(reverse("reports:subscriptions"), {"cancel": other.pk}).status_code == 404
    assert client.post(reverse("reports:subscriptions"), {"cancel": sub.pk}).status_code == 302
    sub.refresh_from_db()
    assert not sub.is_active


# --- the monthly formatted branch report ---------------------------------------------------------


def test_the_formatted_report_opens_with_its_layout(org, snapshot, tmp_path):
    path = tmp_path / "report.xlsx"
    with path.open("wb") as handle:
        formatted.write(org.a_sh, DAY, handle)
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    assert sheet.title == "2026-06"
    assert sheet["A1"].value == "Bank A"
    assert "A-SH" in sheet["A2"].value
    assert "2026-06-01" in sheet["A3"].value and "2026-06-30" in sheet["A3"].value and "CNY" in sheet["A3"].value
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:L1", "A2:L2", "A3:L3", "A5:A6", "B5:C5", "D5:E5"} <= merged
    assert sheet.freeze_panes == "B7"
    assert [sheet.cell(5, col).value for col in (1, 2, 4, 6, 8, 9)] == [
        "Manager",
        "Customers",
        "AUM",
        "Liabilities",
        "Fee income",
        "Contribution",
    ]
    assert sheet["D6"].value == "2026-06" and sheet["E6"].value == "Difference"
    rows = list(sheet.iter_rows(min_row=7, values_only=True))
    total = next(row for row in rows if row[0] == "Total")
    assert total[1] == 2 and Decimal(str(total[3])) == D("1250.50") and Decimal(str(total[4])) == D("450.50")
    assert sheet["D7"].number_format == "#,##0.00"


def test_the_banks_figures_read_once_give_each_branch_the_same_report(org, snapshot, tmp_path):
    """The month-end job reads the bank's figures once and sums them per subtree: every branch's
    report is the one read for that branch alone (the head office and a region sum their branches)."""
    figures = formatted.MonthFigures(org.bank_a, DAY)
    for branch in (org.a_ho, org.a_cn, org.a_sh, org.a_sh_sub, org.a_bj):
        cells = []
        for shared in (None, figures):
            path = tmp_path / f"{branch.code}-{shared is None}.xlsx"
            with path.open("wb") as handle:
                formatted.write(branch, DAY, handle, figures=shared)
            cells.append(list(load_workbook(path).worksheets[0].iter_rows(values_only=True)))
        assert cells[0] == cells[1], branch.code
    totals = {
        code: next(row for row in rows if row[0] == "Total")
        for code, rows in (("ho", cells_of(org.a_ho, figures, tmp_path)), ("sub", cells_of(org.a_sh_sub, figures, tmp_path)))
    }
    assert totals["ho"][1] == 2 and totals["sub"][1] == 1


def cells_of(branch, figures, tmp_path):
    path = tmp_path / f"{branch.code}.xlsx"
    with path.open("wb") as handle:
        formatted.write(branch, DAY, handle, figures=figures)
    return list(load_workbook(path).worksheets[0].iter_rows(min_row=7, values_only=True))


def test_the_month_end_job_fills_the_branch_heads_exports(org, snapshot):
    run = type(
        "Run", (), {"set_total": lambda self, n: None, "advance": lambda self, n=1: None, "count": lambda self, **kw: None}
    )()
    scope = Scope(org.bank_a.pk, DAY, datetime.UTC)
    formatted.month_end_reports(run, scope)
    exports = ExportFile.objects.filter(owner=org.supervisor, object_type=formatted.OBJECT_TYPE)
    assert exports.count() == 1
    export = exports.get()
    assert "2026-06" in export.title and export.status == ExportFile.Status.DONE
    load_workbook(io.BytesIO(export.file.read()))
    formatted.month_end_reports(run, scope)  # a rerun writes nothing twice
    assert exports.count() == 1
    # Not a month end: nothing; a month end whose snapshot is not done: an error with its reason.
    formatted.month_end_reports(run, Scope(org.bank_a.pk, datetime.date(2026, 7, 15), datetime.UTC))
    SnapshotRun.objects.filter(business_date=DAY).update(status=SnapshotRun.Status.RUNNING)
    with pytest.raises(JobError, match="not finished"):
        formatted.month_end_reports(run, scope)


def test_the_monthly_report_page_downloads_within_the_scope(org, snapshot):
    client = Client()
    client.force_login(org.supervisor)
    page = client.get(reverse("reports:monthly_report"))
    assert page.status_code == 200 and "A-SH-1" in page.content.decode() and "A-BJ" not in page.content.decode()
    response = client.get(reverse("reports:monthly_report"), {"branch": org.a_sh.pk, "month": "2026-06"})
    assert response.status_code == 200
    load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert client.get(reverse("reports:monthly_report"), {"branch": org.a_bj.pk, "month": "2026-06"}).status_code == 404
    assert client.get(reverse("reports:monthly_report"), {"branch": org.a_sh.pk, "month": "June"}).status_code == 400
    manager = Client()
    manager.force_login(org.manager)
    assert manager.get(reverse("reports:monthly_report")).status_code == 403


# --- the beat's tasks -----------------------------------------------------------------------------


def test_the_tasks_record_their_runs(org, snapshot):
    due = subscription(org.supervisor, after=utc(2020, 1, 1))  # long overdue: delivered at the next tick
    tasks.deliver_report_subscriptions.apply().get()
    run = JobRun.objects.get(job=tasks.SUBSCRIPTIONS_JOB)
    assert run.status == JobRun.Status.SUCCEEDED
    assert SubscriptionRun.objects.get(subscription=due).status == SubscriptionRun.Status.DELIVERED
    tasks.monthly_branch_reports.apply(kwargs={"bank_id": org.bank_a.pk, "business_date": "2026-06-30"}).get()
    assert ExportFile.objects.filter(owner=org.supervisor, object_type=formatted.OBJECT_TYPE).count() == 1
    assert JobRun.objects.filter(job=formatted.JOB, bank_id=org.bank_a.pk, status=JobRun.Status.SUCCEEDED).exists()


def test_the_subscriptions_and_monthly_report_pages_keep_the_query_count(org, snapshot, django_assert_max_num_queries):
    """The same bounded number of queries with one subscription or several."""
    client = Client()
    client.force_login(org.supervisor)
    urls = [reverse("reports:subscriptions"), reverse("reports:monthly_report")]
    for url in urls:
        client.get(url)  # warm the session and permission caches

    def counts():
        found = []
        for url in urls:
            with django_assert_max_num_queries(22) as captured:
                assert client.get(url).status_code == 200
            found.append(len(captured))
        return found

    subscription(org.supervisor)
    before = counts()
    for hour in (6, 7, 9):
        subscription(org.supervisor, local_time=datetime.time(hour, 0))
    assert counts() == before
