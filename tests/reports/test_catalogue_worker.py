"""Long reports on the worker (progress, cancel, a time-out that fails with its reason) and the
subscriptions' e-mail delivery in the subscriber's language."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from ocrm import parameters
from ocrm.lists import background
from ocrm.lists.models import ExportFile
from ocrm.notifications.models import Notification
from ocrm.outbox.models import OutboundMessage
from reports.catalogue import definitions, delivery
from reports.catalogue.models import ReportSubscription, SubscriptionRun
from tests.factories import make_customer
from tests.reports.factories_catalogue import DAY, customer_day, snapshot_run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

D = Decimal


@pytest.fixture
def snapshot(org):
    snapshot_run(org.bank_a, DAY)
    for number in range(3):
        customer_day(make_customer(f"C-W-{number}", org.a_sh, org.manager), DAY, aum=D("100.00") * (number + 1))
    return org


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_report_queued_for_the_worker_lands_in_my_exports_with_progress(snapshot):
    org = snapshot
    query = {"branch": org.a_sh.pk, "manager": org.manager.pk, "by": "customer", "export": "xlsx", "background": 1}
    response = client_for(org.supervisor).get(reverse("reports:balances_report"), query)
    assert response.status_code == 302 and response["Location"] == reverse("export_list")
    export = ExportFile.objects.get(owner=org.supervisor)
    assert export.status == ExportFile.Status.QUEUED and export.object_type == "customers.customer"
    assert "background" not in export.query and "export" not in export.query
    background.run_export(export.pk)
    export.refresh_from_db()
    assert export.status == ExportFile.Status.DONE, export.error
    assert export.row_count == 4 and export.progress_done == 4 and export.progress_total >= 4  # 3 customers + total
    rows = list(load_workbook(io.BytesIO(export.file.read())).worksheets[0].iter_rows(values_only=True))
    assert rows[-1][0] == "Total" and Decimal(str(rows[-1][4])) == D("600.00")
    assert Notification.objects.filter(recipient=org.supervisor, title__contains="is ready").exists()


def test_a_cancelled_report_is_not_written(snapshot):
    org = snapshot
    client_for(org.supervisor).get(reverse("reports:balances_report"), {"export": "xlsx", "background": 1})
    export = ExportFile.objects.get(owner=org.supervisor)
    assert background.cancel_export(org.supervisor, export)
    background.run_export(export.pk)
    export.refresh_from_db()
    assert export.status == ExportFile.Status.CANCELLED and not export.file


def test_the_customers_step_above_the_sync_limit_goes_to_the_worker(snapshot, monkeypatch):
    org = snapshot
    real = parameters.get
    monkeypatch.setattr(parameters, "get", lambda key, *a, **k: 2 if key == "export.sync_max_rows" else real(key, *a, **k))
    query = {"manager": org.manager.pk, "by": "customer", "export": "xlsx"}
    response = client_for(org.supervisor).get(reverse("reports:balances_report"), query)
    assert response.status_code == 302
    assert ExportFile.objects.filter(owner=org.supervisor, status=ExportFile.Status.QUEUED).count() == 1


def slow_sections(self, reader, filters):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(2)")
    return []


def timeouts(monkeypatch, seconds):
    real = parameters.get
    keys = ("reports.page_timeout_seconds", "reports.worker_timeout_seconds")
    monkeypatch.setattr(parameters, "get", lambda key, *a, **k: seconds if key in keys else real(key, *a, **k))
    # A report that takes longer than the limit (a real statement, cancelled by PostgreSQL).
    monkeypatch.setattr(type(definitions.REPORTS["balances"]), "sections", slow_sections)


def test_a_page_that_times_out_says_so_and_offers_the_worker(snapshot, monkeypatch):
    timeouts(monkeypatch, 1)
    response = client_for(snapshot.supervisor).get(reverse("reports:balances_report"))
    assert response.status_code == 503
    body = response.content.decode()
    assert "took longer than 1 seconds" in body and "No figures for these filters" not in body
    assert "background=1" in body


def test_a_worker_run_that_times_out_fails_with_the_reason(snapshot, monkeypatch):
    org = snapshot
    client_for(org.supervisor).get(reverse("reports:balances_report"), {"export": "xlsx", "background": 1})
    export = ExportFile.objects.get(owner=org.supervisor)
    timeouts(monkeypatch, 1)
    background.run_export(export.pk)
    export.refresh_from_db()
    assert export.status == ExportFile.Status.FAILED and "took longer than 1 seconds" in export.error
    assert Notification.objects.filter(recipient=org.supervisor, level=Notification.Level.DANGER).exists()


def test_a_subscription_that_times_out_fails_with_the_reason(snapshot, monkeypatch):
    org = snapshot
    sub = ReportSubscription(bank_id=org.bank_a.pk, owner=org.supervisor, report="balances", local_time=datetime.time(8))
    sub.next_run_at = delivery.next_run(sub, datetime.datetime(2026, 7, 1, tzinfo=datetime.UTC))
    sub.save()
    timeouts(monkeypatch, 1)
    delivery.run_due(sub.next_run_at + datetime.timedelta(minutes=1))
    run = SubscriptionRun.objects.get(subscription=sub)
    assert run.status == SubscriptionRun.Status.FAILED and "took longer" in run.message


def test_a_subscription_by_email_goes_through_the_outbox_in_the_subscribers_language(snapshot):
    org = snapshot
    org.supervisor.language = "zh-hans"
    org.supervisor.email = "head@example.com"
    org.supervisor.save()
    sub = ReportSubscription(
        bank_id=org.bank_a.pk, owner=org.supervisor, report="balances", local_time=datetime.time(8), by_email=True
    )
    sub.next_run_at = delivery.next_run(sub, datetime.datetime(2026, 7, 1, tzinfo=datetime.UTC))
    sub.save()
    quiet = ReportSubscription(
        bank_id=org.bank_a.pk, owner=org.manager, report="balances", local_time=datetime.time(8), by_email=False
    )
    quiet.next_run_at = sub.next_run_at
    quiet.save()
    assert delivery.run_due(sub.next_run_at + datetime.timedelta(minutes=1))["delivered"] == 2
    message = OutboundMessage.objects.get(recipient_kind="staff", recipient_id=str(org.supervisor.pk))
    assert message.channel == "email"
    assert "报表" in message.subject and reverse("export_list") in message.body
    assert not OutboundMessage.objects.filter(recipient_id=str(org.manager.pk)).exists()
    # The same due time again sends nothing twice.
    delivery.email(sub, sub.next_run_at, "x", "y")
    assert OutboundMessage.objects.filter(recipient_id=str(org.supervisor.pk)).count() == 1


def test_subscribing_by_email_from_the_page(snapshot):
    org = snapshot
    response = client_for(org.supervisor).post(
        reverse("reports:subscriptions"),
        {"report": "balances", "query": "", "frequency": "daily", "local_time": "07:30", "by_email": "on"},
    )
    assert response.status_code == 302
    assert ReportSubscription.objects.get(owner=org.supervisor).by_email
