"""The nightly report snapshots (reports.snapshots): what a build writes for one bank and local
business date, idempotency, immutability, as-of answers, base-currency totals, the registered
measures, monthly partitions and retention, the nightly job and the report database router."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.db import DatabaseError, connection, connections, transaction
from django.db.backends.postgresql.base import DatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.master.models import FxRate, Holding, HoldingBalance, Transaction
from ocrm import beat_schedules, reporting
from ocrm.batch.models import JobRun
from ocrm.datalife import partitions
from reports.snapshots import build as snapshots
from reports.snapshots import db as report_db
from reports.snapshots import services
from reports.snapshots import tasks as snapshot_tasks
from reports.snapshots.models import CustomerDay, HoldingDay, MeasureDay, SnapshotRun, TransactionDay
from reports.snapshots.router import ReportsRouter
from sysadmin.parameters.models import SystemParameter
from tests.factories import make_customer, make_product

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))  # bank A's head office (no daylight saving)


def local(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def day():
    """A business date that has ended in bank A's zone (Asia/Shanghai)."""
    return timezone.now().astimezone(SHANGHAI).date() - datetime.timedelta(days=3)


def holding(customer, product, balance, currency="CNY", number=None, status="active"):
    return Holding.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        product=product,
        branch=customer.branch,
        account_number=number or f"{customer.number}-{product.code}",
        currency=currency,
        balance=Decimal(balance),
        status=status,
    )


def txn(held, at, amount, txn_type="transfer", currency="CNY", direction="D", channel="mobile"):
    return Transaction.objects.create(
        bank_id=held.bank_id,
        customer_id=held.customer_id,
        holding=held,
        occurred_at=at,
        amount=Decimal(amount),
        currency=currency,
        direction=direction,
        channel=channel,
        txn_type=txn_type,
    )


@pytest.fixture
def book(org, day):
    """Bank A: a customer of the Shanghai manager with CNY and USD deposits, a loan and an
    insurance policy; one of the Beijing manager; a merged duplicate (never in a snapshot).
    USD is 7 CNY from before the date. Bank B: one customer."""
    a = org.bank_a
    dd = make_product(a, code="DD-CNY")
    dd_usd = make_product(a, code="DD-USD", currency="USD")
    loan = make_product(a, code="ML-CNY", category="liability", product_type="loan")
    ins = make_product(a, code="INS", category="fee", product_type="insurance")
    FxRate.objects.create(bank=a, currency="USD", rate=Decimal("7"), as_of=day - datetime.timedelta(days=10))
    since = {"created_at": timezone.now() - datetime.timedelta(days=60)}
    c1 = make_customer("A-0001", org.a_sh, org.manager, tier="affluent", star_rating=3, contribution=Decimal("88.10"), **since)
    c2 = make_customer("A-0002", org.a_bj, org.manager_bj, **since)
    merged = make_customer("A-0003", org.a_sh, org.manager, **since)
    merged.merged_into = c1
    merged.save()
    h1 = holding(c1, dd, "1000.00")
    h2 = holding(c1, dd_usd, "100.00", currency="USD")
    holding(c1, loan, "5000.00")
    holding(c1, ins, "300.00")
    holding(c2, dd, "250.55")
    holding(merged, dd, "999.00")
    holding(c2, dd, "40.00", number="A-0002-closed", status="closed")
    txn(h1, local(day, 23, 30), "10.00")  # the last minutes of the local day
    txn(h1, local(day + datetime.timedelta(days=1), 0, 10), "20.00")  # the next local day (still that UTC date)
    txn(h1, local(day, 9), "12.50", txn_type="fee", channel="counter")
    txn(h2, local(day, 10), "2.00", txn_type="fee", currency="USD", channel="counter")
    txn(h1, local(day - datetime.timedelta(days=5), 9), "3.00")  # within 30 days, not the day itself
    b_product = make_product(org.bank_b, code="DD-HKD", currency="HKD")
    holding(make_customer("B-0001", org.b_hk, org.b_manager, **since), b_product, "777.00", currency="HKD")
    return {"c1": c1, "c2": c2, "merged": merged, "h1": h1, "dd": dd}


def test_a_build_writes_the_golden_customers_with_their_figures_in_base_currency(org, book, day):
    run = snapshots.build(org.bank_a, day)
    assert run.status == SnapshotRun.Status.DONE and run.error == ""
    rows = {row.customer_id: row for row in CustomerDay.objects.filter(bank_id=org.bank_a.pk, business_date=day)}
    assert set(rows) == {book["c1"].pk, book["c2"].pk}  # the merged duplicate is not a customer of its own
    c1 = rows[book["c1"].pk]
    assert (c1.branch_id, c1.manager_id, c1.tier, c1.star_rating) == (org.a_sh.pk, org.manager.pk, "affluent", 3)
    assert c1.aum == Decimal("1700.00")  # 1000 CNY + 100 USD at 7
    assert c1.liabilities == Decimal("5000.00")
    assert c1.contribution == Decimal("88.10")
    assert c1.fee_income == Decimal("26.50")  # 12.50 CNY + 2 USD at 7
    assert (c1.products_held, c1.product_categories) == (4, "asset,fee,liability")
    assert c1.transactions_30d == 4  # the day's three and the one five days before; not the next local day's
    assert c1.method_version == snapshots.CUSTOMER_VERSION
    assert rows[book["c2"].pk].aum == Decimal("250.55")  # the closed account is not held
    # Bank B is not in bank A's snapshot.
    assert not CustomerDay.objects.filter(bank_id=org.bank_b.pk).exists()
    assert run.rows["customers"] == 2


def test_totals_in_base_currency_equal_the_sum_of_their_lines(org, book, day):
    snapshots.build(org.bank_a, day)
    customers = CustomerDay.objects.filter(bank_id=org.bank_a.pk, business_date=day)
    holdings = HoldingDay.objects.filter(bank_id=org.bank_a.pk, business_date=day)
    for branch in (org.a_sh, org.a_bj):
        aum = customers.filter(branch_id=branch.pk).aggregate(s=Sum("aum"))["s"]
        lines = holdings.filter(branch_id=branch.pk, category="asset").aggregate(s=Sum("balance_base"))["s"]
        assert aum == lines
    usd = holdings.get(product_id__in=[h.product_id for h in Holding.objects.filter(currency="USD")])
    usd_line = (usd.currency, usd.balance, usd.balance_base, usd.holders, usd.accounts)
    assert usd_line == ("USD", Decimal("100.00"), Decimal("700.00"), 1, 1)
    liabilities = holdings.filter(category="liability").aggregate(s=Sum("balance_base"))["s"]
    assert customers.aggregate(s=Sum("liabilities"))["s"] == liabilities


def test_transactions_are_those_of_the_local_business_day(org, book, day):
    snapshots.build(org.bank_a, day)
    rows = TransactionDay.objects.filter(bank_id=org.bank_a.pk, business_date=day)
    by_key = {(r.channel, r.txn_type, r.currency): (r.count, r.amount_base) for r in rows}
    assert by_key == {
        ("mobile", "transfer", "CNY"): (1, Decimal("10.00")),  # 23:30 local; 00:10 of the next day is not in it
        ("counter", "fee", "CNY"): (1, Decimal("12.50")),
        ("counter", "fee", "USD"): (1, Decimal("14.00")),
    }
    assert {r.manager_id for r in rows} == {org.manager.pk}


def test_a_rerun_for_a_date_changes_nothing(org, book, day):
    first = snapshots.build(org.bank_a, day)
    before = list(CustomerDay.objects.filter(business_date=day).order_by("id").values())
    holdings_before = list(HoldingDay.objects.filter(business_date=day).order_by("id").values())
    book["c1"].tier = "wealth"
    book["c1"].save()
    with CaptureQueriesContext(connection) as queries:
        again = snapshots.build(org.bank_a, day)
    assert (again.pk, again.status, again.finished_at, again.rows) == (first.pk, "done", first.finished_at, first.rows)
    assert not [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "DELETE", "UPDATE"))]
    assert list(CustomerDay.objects.filter(business_date=day).order_by("id").values()) == before
    assert list(HoldingDay.objects.filter(business_date=day).order_by("id").values()) == holdings_before
    assert SnapshotRun.objects.filter(bank_id=org.bank_a.pk, business_date=day).count() == 1


def test_a_later_change_never_alters_an_earlier_snapshot(org, book, day):
    snapshots.build(org.bank_a, day)
    earlier = CustomerDay.objects.get(business_date=day, customer_id=book["c1"].pk)
    # The next day: the customer moves up and their deposit grows.
    c1 = book["c1"]
    c1.tier, c1.star_rating = "wealth", 5
    c1.save()
    Holding.objects.filter(pk=book["h1"].pk).update(balance=Decimal("50000.00"))
    snapshots.build(org.bank_a, day + datetime.timedelta(days=1))
    again = CustomerDay.objects.get(business_date=day, customer_id=c1.pk)
    later = CustomerDay.objects.get(business_date=day + datetime.timedelta(days=1), customer_id=c1.pk)
    assert (again.tier, again.star_rating, again.aum) == (earlier.tier, earlier.star_rating, earlier.aum)
    assert (again.tier, again.star_rating, again.aum) == ("affluent", 3, Decimal("1700.00"))
    assert (later.tier, later.star_rating, later.aum) == ("wealth", 5, Decimal("50700.00"))


def test_snapshot_rows_cannot_be_updated(org, book, day):
    snapshots.build(org.bank_a, day)
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        CustomerDay.objects.filter(business_date=day).update(tier="private")
    assert set(CustomerDay.objects.filter(business_date=day).values_list("tier", flat=True)) == {"affluent", "mass"}


def test_as_of_answers_come_from_the_snapshot_of_that_date(org, book, day):
    """ "As it was at the end of <date>": the latest date built on or before it, with its figures,
    never today's data."""
    end_of_month = day - datetime.timedelta(days=2)
    snapshots.build(org.bank_a, end_of_month)
    Holding.objects.filter(pk=book["h1"].pk).update(balance=Decimal("2000.00"))
    snapshots.build(org.bank_a, day)
    assert snapshots.last_done(org.bank_a.pk) == day
    as_of = snapshots.last_done(org.bank_a.pk, on_or_before=day - datetime.timedelta(days=1))
    assert as_of == end_of_month
    assert CustomerDay.objects.get(business_date=as_of, customer_id=book["c1"].pk).aum == Decimal("1700.00")
    assert CustomerDay.objects.get(business_date=day, customer_id=book["c1"].pk).aum == Decimal("2700.00")
    assert snapshots.last_done(org.bank_a.pk, on_or_before=end_of_month - datetime.timedelta(days=1)) is None
    assert snapshots.last_done(org.bank_b.pk) is None


def test_the_days_delivered_balances_are_the_balances_of_that_day(org, book, day):
    """When the holdings feed delivered balances for the date, the snapshot takes them (with the
    base amounts the feed computed), not the holdings as they stand at the build."""
    held = book["h1"]
    HoldingBalance.objects.create(
        bank_id=held.bank_id, customer_id=held.customer_id, holding=held, business_date=day, balance="900", balance_base="900"
    )
    snapshots.build(org.bank_a, day)
    row = CustomerDay.objects.get(business_date=day, customer_id=book["c1"].pk)
    assert (row.aum, row.products_held) == (Decimal("900.00"), 1)


def test_a_currency_without_a_rate_fails_the_run_with_its_reason_and_writes_nothing(org, book, day):
    gbp = make_product(org.bank_a, code="DD-GBP", currency="GBP")
    holding(book["c2"], gbp, "10.00", currency="GBP", number="GBP-ACC-1")
    with pytest.raises(snapshots.SnapshotError, match="GBP .e.g. account GBP-ACC-1"):
        snapshots.build(org.bank_a, day)
    run = SnapshotRun.objects.get(bank_id=org.bank_a.pk, business_date=day)
    assert run.status == SnapshotRun.Status.FAILED and "GBP" in run.error
    assert not CustomerDay.objects.filter(business_date=day).exists()
    FxRate.objects.create(bank=org.bank_a, currency="GBP", rate=Decimal("9"), as_of=day)
    run = snapshots.build(org.bank_a, day)
    assert run.status == SnapshotRun.Status.DONE and run.error == ""
    assert CustomerDay.objects.get(business_date=day, customer_id=book["c2"].pk).aum == Decimal("340.55")


def test_a_day_that_has_not_ended_is_refused(org, book):
    today = timezone.now().astimezone(SHANGHAI).date()
    with pytest.raises(snapshots.SnapshotError, match="has not ended"):
        snapshots.build(org.bank_a, today)
    assert not CustomerDay.objects.exists()


def test_measures_of_the_registry_are_snapshotted_with_their_version(org, book, day, monkeypatch):
    measure = reporting.Measure(
        key="tests.customers_with_deposits",
        label="Customers with deposits",
        unit=reporting.Measure.COUNT,
        version=3,
        sql="""SELECT c.branch_id, c.primary_manager_id, count(*) AS value
                 FROM customers_customer c
                WHERE c.bank_id = %(bank_id)s AND c.merged_into_id IS NULL
                  AND c.created_at < %(day_end)s AND %(business_date)s::date IS NOT NULL
                  AND EXISTS (SELECT 1 FROM customers_holding h WHERE h.customer_id = c.id)
                GROUP BY 1, 2""",
    )
    staff_without_branch = reporting.Measure(
        key="tests.head_office_figure",
        label="A figure of the bank",
        unit=reporting.Measure.AMOUNT,
        sql="SELECT NULL::bigint, NULL::bigint, 1250 WHERE %(day_start)s::timestamptz < %(day_end)s",
    )
    monkeypatch.setitem(reporting._MEASURES, measure.key, measure)
    monkeypatch.setitem(reporting._MEASURES, staff_without_branch.key, staff_without_branch)
    run = snapshots.build(org.bank_a, day)
    rows = MeasureDay.objects.filter(bank_id=org.bank_a.pk, business_date=day, measure=measure.key)
    assert {(r.branch_id, r.manager_id, r.value, r.method_version) for r in rows} == {
        (org.a_sh.pk, org.manager.pk, 1, 3),
        (org.a_bj.pk, org.manager_bj.pk, 1, 3),
    }
    bank_figure = MeasureDay.objects.get(business_date=day, measure=staff_without_branch.key)
    assert (bank_figure.branch_id, bank_figure.manager_id, bank_figure.value) == (org.a_ho.pk, None, 1250)
    assert run.rows["measures"] == MeasureDay.objects.filter(business_date=day).count()


def test_a_failing_measure_fails_the_run_naming_it(org, book, day, monkeypatch):
    broken = reporting.Measure(key="tests.broken", label="Broken", unit="count", sql="SELECT 1, 2, 3 FROM no_such_table")
    monkeypatch.setitem(reporting._MEASURES, broken.key, broken)
    with pytest.raises(snapshots.SnapshotError, match="tests.broken"):
        snapshots.build(org.bank_a, day)
    assert SnapshotRun.objects.get(business_date=day).status == SnapshotRun.Status.FAILED
    assert not CustomerDay.objects.exists()


def _partition_of(model, **filters):
    table = model._meta.db_table
    pk = model.objects.filter(**filters).values_list("pk", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_rows_land_in_their_months_partition_and_retention_drops_whole_months(org, book, day):
    snapshots.build(org.bank_a, day)
    month = partitions.month_start(day)
    for model in (CustomerDay, HoldingDay, TransactionDay):
        assert _partition_of(model, business_date=day) == f"{model._meta.db_table}_p{month:%Y%m}"
    # The bank keeps 2 months (another bank's longer value would win: the months are shared).
    SystemParameter.objects.create(bank=None, key="reports.snapshot_retention_months", value_type="int", value="2")
    assert services.retention_cutoff(today=day) == partitions.add_months(month, -2)
    # Three months on, the date's month is past retention: its partitions go, with the run.
    report = services.drop_old_months(today=partitions.add_months(month, 3))
    assert f"reports_customerday_p{month:%Y%m}" in report["dropped"]
    # The analyses' precomputed days (written by the build's derived step) go with them.
    for table in ("reports_paretoday", "reports_topcustomerday", "reports_segmentday", "reports_churnday"):
        assert f"{table}_p{month:%Y%m}" in report["dropped"], table
    assert not CustomerDay.objects.filter(business_date=day).exists()
    assert not SnapshotRun.objects.filter(business_date=day).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"reports_holdingday_p{month:%Y%m}"])
        assert cursor.fetchone()[0] is None
    # Keeping everything (0) drops nothing.
    parameter = SystemParameter.objects.get(key="reports.snapshot_retention_months")
    parameter.value = "0"
    parameter.save()
    assert services.drop_old_months(today=partitions.add_months(month, 30))["dropped"] == []


def test_the_nightly_job_builds_a_bank_once_per_date(org, book, day):
    result = snapshot_tasks.build_snapshots.apply(kwargs={"bank_id": org.bank_a.pk, "business_date": day.isoformat()}).get()
    run = JobRun.objects.get(pk=result["job_run"])
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.counts["customer_rows"] == 2 and run.counts["holding_rows"] > 0
    assert SnapshotRun.objects.get(bank_id=org.bank_a.pk, business_date=day).status == "done"
    rows = CustomerDay.objects.count()
    snapshot_tasks.build_snapshots.apply(kwargs={"bank_id": org.bank_a.pk, "business_date": day.isoformat()}).get()
    assert CustomerDay.objects.count() == rows
    # The scheduled run works for each bank's local yesterday once its local hour has passed.
    assert services.NIGHTLY.day.days_back == 1 and services.NIGHTLY.day.not_before_hour == "reports.snapshot_run_local_hour"


# --- the report database router ---------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _beat_rows_back_after_a_flush(django_db_setup, django_db_blocker):
    """The transactional test below ends with a flush, which empties the beat schedules that data
    migrations wrote (ocrm.beat_schedules): write them again for the tests that follow."""
    yield
    with django_db_blocker.unblock():
        loader = MigrationLoader(connection)
        for migration in loader.disk_migrations.values():
            for operation in migration.operations:
                code = getattr(operation, "code", None)
                if code is not None and code.__module__ == beat_schedules.__name__:
                    code(django_apps, None)


@pytest.fixture
def reports_alias(settings):
    """A second database alias `reports` configured for the test only: a connection of its own to
    the test database (as TEST {"MIRROR": "default"} gives a replica in tests), not the primary's."""
    entry = dict(connections["default"].settings_dict)
    entry["TEST"] = {"MIRROR": "default"}
    settings.DATABASES = {**settings.DATABASES, report_db.REPORTS: entry}
    # The connection is made here, not through connections.settings: Django's guard of the
    # aliases a test case declared leaves a connection it does not know alone.
    connections[report_db.REPORTS] = DatabaseWrapper(entry, alias=report_db.REPORTS)
    yield report_db.REPORTS
    connections[report_db.REPORTS].close()
    del connections[report_db.REPORTS]


def test_without_a_reports_alias_report_reads_use_the_primary():
    assert not report_db.configured()
    assert report_db.reading() == "default"
    assert CustomerDay.objects.all().db == "default"


@pytest.mark.django_db(transaction=True)
def test_report_reads_go_to_the_reports_alias_and_writes_to_the_primary(org, book, day, reports_alias):
    assert report_db.reading() == "reports"
    router = ReportsRouter()
    assert router.db_for_read(CustomerDay) == "reports" and router.db_for_write(CustomerDay) == "default"
    assert router.db_for_read(Holding) is None  # only the snapshot models
    assert router.allow_migrate("reports", "reports") is False  # a replica is never migrated
    # The build writes to the primary (and reads its run there), whatever the router says of reads.
    with CaptureQueriesContext(connections["reports"]) as on_reports:
        snapshots.build(org.bank_a, day)
    assert on_reports.captured_queries == []
    for model in (SnapshotRun, CustomerDay, HoldingDay, TransactionDay, MeasureDay):
        assert model.objects.all().db == "reports"
    assert connections["reports"] is not connections["default"]
    with CaptureQueriesContext(connections["reports"]) as on_reports, CaptureQueriesContext(connections["default"]) as on_default:
        aum = CustomerDay.objects.filter(bank_id=org.bank_a.pk, business_date=day).aggregate(s=Sum("aum"))["s"]
        as_of = snapshots.last_done(org.bank_a.pk)
    assert (aum, as_of) == (Decimal("1950.55"), day)
    assert len(on_reports.captured_queries) == 2 and on_default.captured_queries == []
    assert "reports_customerday" in on_reports.captured_queries[0]["sql"]
