"""The report pages on the nightly roll-up (RollupDay): for every report that reads it, at every
level and in every scope, the table, the sections and the charts are exactly those of the
CustomerDay path on the same rows; a date without a roll-up reads CustomerDay."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ocrm.errors import NotVisible
from reports.catalogue import definitions, services
from reports.snapshots import rollup
from reports.snapshots.models import CustomerDay, RollupDay, TransactionBranchDay, TransactionDay
from tests.reports import test_catalogue as catalogue
from tests.reports.factories_catalogue import BEFORE, DAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

# The report pages' book (rows at DAY and BEFORE in every scope) and its measures' labels.
book = catalogue.book
test_measures = catalogue.test_measures
client_for = catalogue.client_for

REPORTS = (definitions.CustomersReport, definitions.BalancesReport, definitions.PenetrationReport)


def roll_up(org, *days):
    """As the build: the roll-up of each date, and its movement from the previous month's end."""
    with connection.cursor() as cursor:
        for bank in (org.bank_a, org.bank_b):
            for day in days:
                rollup.write(cursor, bank.pk, day)
                rollup.write_movement(cursor, bank.pk, day)


def result_of(report, user, cleaned):
    """Everything the page shows, as plain data (None when the filters are out of the scope)."""
    reader = services.Reader.of(user)
    try:
        filters = services.resolve(reader, {"date": DAY, **cleaned}, services.QueryDict(mutable=True))
    except NotVisible:
        return None, None
    result = definitions.run(report, reader, filters)
    level = result.level
    shown = {
        "columns": [(c.name, str(c.label)) for c in result.columns],
        "lines": [(line.key, line.label, line.link, line.values, line.compared) for line in level.lines],
        "total": level.total,
        "compared_total": level.compared_total,
        "sections": [(str(s.title), [str(h) for h in s.header], s.rows, s.total) for s in result.sections],
        "charts": [chart.as_json() for chart in result.charts],
    }
    return shown, report.reads_rollup(filters)


def cases(org):
    users = (org.admin, org.supervisor, org.manager)
    queries = [
        {},
        {"compare": BEFORE},
        {"branch": org.a_cn.pk},
        {"branch": org.a_sh.pk},
        {"branch": org.a_sh.pk, "compare": BEFORE},
        {"branch": org.a_sh.pk, "exact": True, "by": services.BY_MANAGER},
        {"branch": org.a_sh.pk, "by": services.BY_MANAGER},
        {"manager": org.manager.pk},
        {"manager": org.manager.pk, "compare": BEFORE},
        {"by": services.BY_MANAGER},
    ]
    for user in users:
        for query in queries:
            for dim in ("stage", "tier", "star"):
                yield user, {**query, "dim": dim}


def test_every_report_gives_the_same_table_from_the_rollup_as_from_the_customer_rows(org, book):
    roll_up(org, DAY, BEFORE)
    compared = 0
    for report_class in REPORTS:
        for user, cleaned in cases(org):
            if report_class is not definitions.CustomersReport and cleaned["dim"] != "stage":
                continue
            rolled, used = result_of(report_class(), user, cleaned)
            plain, plain_used = result_of(report_class(rollup=False), user, cleaned)
            assert rolled == plain, (report_class.key, user.username, cleaned)
            if rolled is not None:
                assert used is True and plain_used is False, (report_class.key, user.username, cleaned)
                compared += 1
    assert compared > 60  # the cases in scope really ran (a supervisor's or a manager's cut too)


def test_the_figures_read_from_the_rollup_are_those_of_the_customers(org, book):
    """Not only the same as the other path: the right figures (bank A's whole bank, by stage)."""
    roll_up(org, DAY)
    shown, used = result_of(definitions.CustomersReport(), org.admin, {"dim": "stage"})
    assert used
    total = shown["total"]
    assert total["customers"] == 5 and total["d_active"] == 3 and total["d_dormant"] == 1 and total["d_prospect"] == 1
    shown, used = result_of(definitions.PenetrationReport(), org.admin, {})
    assert used and shown["total"]["products"] == 9 and shown["total"]["cross"] == 3


def test_a_date_without_rollup_reads_the_customer_rows(org, book):
    roll_up(org, DAY)  # BEFORE was built before the roll-up existed
    for report_class in REPORTS:
        rolled, used = result_of(report_class(), org.admin, {"compare": BEFORE})
        plain, _used = result_of(report_class(rollup=False), org.admin, {"compare": BEFORE})
        assert used is False and rolled == plain
        _shown, used = result_of(report_class(), org.admin, {})
        assert used is True


def test_the_movement_from_the_previous_month_end_is_rolled_up(org, book):
    roll_up(org, DAY, BEFORE)
    assert rollup.movement_compare_date(DAY) == BEFORE
    assert rollup.has_movement(org.bank_a.pk, DAY, BEFORE)
    assert not rollup.has_movement(org.bank_a.pk, BEFORE, BEFORE - datetime.timedelta(days=31))  # no earlier rows
    # The movement of the whole bank by stage, as the section shows it (sh2 went dormant, sub is new).
    shown, _used = result_of(definitions.CustomersReport(), org.admin, {"compare": BEFORE, "dim": "stage"})
    rows = {row[0]: row[1:] for row in shown["sections"][0][2]}
    # Columns: prospect, active, dormant, declining, exited, left, total.
    assert rows["Prospect"] == [1, 0, 0, 0, 0, 0, 1]
    assert rows["Active"] == [0, 2, 1, 0, 0, 0, 3]
    assert rows["New (not in the earlier snapshot)"] == [0, 1, 0, 0, 0, 0, 1]
    plain, _used = result_of(definitions.CustomersReport(rollup=False), org.admin, {"compare": BEFORE, "dim": "stage"})
    assert shown["sections"] == plain["sections"]
    assert sum(row[-1] for row in shown["sections"][0][2]) == 5  # every customer of either date, once


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("customers_report", {}),
        ("customers_report", {"compare": "2026-05-31"}),
        ("customers_report", {"compare": "2026-05-31", "dim": "star"}),
        ("balances_report", {}),
        ("balances_report", {"compare": "2026-05-31"}),
        ("penetration_report", {}),
        ("penetration_report", {"compare": "2026-05-31"}),
    ],
)
def test_the_whole_bank_page_does_not_read_the_customer_rows(org, book, name, query):
    roll_up(org, DAY, BEFORE)
    client = client_for(org.admin)
    client.get(reverse(f"reports:{name}"))  # warm the session and permission caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(f"reports:{name}"), query).status_code == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert RollupDay._meta.db_table in sql
    assert CustomerDay._meta.db_table not in sql
    assert "'b:" in sql  # the branch level: a row per branch, not per manager
    assert len(queries.captured_queries) <= 22


@pytest.mark.parametrize("name", ["customers_report", "balances_report", "penetration_report"])
def test_query_counts_stay_bounded_on_the_rollup(org, book, name, django_assert_max_num_queries):
    roll_up(org, DAY, BEFORE)
    client = client_for(org.supervisor)
    client.get(reverse(f"reports:{name}"))
    with django_assert_max_num_queries(22):
        assert client.get(reverse(f"reports:{name}"), {"compare": "2026-05-31"}).status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get(reverse(f"reports:{name}"), {"manager": org.manager.pk, "by": "customer"}).status_code == 200


def test_the_per_branch_holdings_and_transactions_give_the_same_pages(org, book):
    """Balances and transactions read HoldingBranchDay / TransactionBranchDay where no manager is
    needed: the same tables, sections and charts as from the per-manager rows, in every scope."""
    roll_up(org, DAY, BEFORE)
    with connection.cursor() as cursor:
        for bank in (org.bank_a, org.bank_b):
            for day in (DAY, BEFORE):
                rollup.write_branch(cursor, bank.pk, day)
    assert TransactionBranchDay.objects.filter(bank_id=org.bank_a.pk, business_date=DAY).count() == 3  # per branch
    read = 0
    for report_class in (definitions.BalancesReport, definitions.TransactionsReport):
        for user, cleaned in cases(org):
            if cleaned["dim"] != "stage":
                continue
            for extra in ({}, {"currency": "USD"}, {"product": book.deposit.pk}):
                query = {**cleaned, **extra}
                if report_class is definitions.TransactionsReport and extra:
                    continue
                reader = services.Reader.of(user)
                try:
                    filters = services.resolve(reader, {"date": DAY, **query}, services.QueryDict(mutable=True))
                except NotVisible:
                    continue
                rolled, _used = result_of(report_class(), user, query)
                plain, _used = result_of(report_class(rollup=False), user, query)
                assert rolled == plain, (report_class.key, user.username, query)
                definitions.prepare(report_class(), reader, filters)
                read += any(getattr(filters, "_branch_tables", {}).values())
    assert read > 10  # the per-branch tables were really read (whole bank, branches, a supervisor's cut)


def test_rows_written_outside_the_build_keep_reading_the_per_manager_tables(org, book):
    roll_up(org, DAY, BEFORE)  # no per-branch holdings / transactions written
    reader = services.Reader.of(org.admin)
    filters = services.resolve(reader, {"date": DAY}, services.QueryDict(mutable=True))
    definitions.prepare(definitions.TransactionsReport(), reader, filters)
    assert filters._branch_tables == {TransactionDay: False}
    shown, _used = result_of(definitions.TransactionsReport(), org.admin, {})
    assert shown["total"]["count"] == 8
