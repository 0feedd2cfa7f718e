"""The report pages (issue 18) on generated snapshot rows: a bank of its own (code RPTB) with a
branch tree, managers, golden customers and one business date of CustomerDay rows per customer
(plus the day a month earlier, for comparisons), holdings, transactions and measures per branch ×
manager, written with set-based SQL, and the roll-up the nightly build writes from the customer
rows (reports.snapshots.rollup; the nightly build itself is measured by bench/snapshots.py).

Measured, server side through Django's test client (median of --repeat requests):

  * a head-office reader opens each report page for the whole bank (the first level of the
    drill-down: the bank's top branches summing every branch below);
  * the same with a comparison date;
  * the drill-down to one manager's customers (the last step, through Customer.visible_to).

Targets (issue 18): any whole-bank report page median <= 150 ms; drill-down to a manager's
customers <= 150 ms; query counts printed (bounded: asserted in tests/reports/test_catalogue.py).

    python -m bench.reports --size small        (20k customers, 200 branches: about a minute)
    make bench BENCH_ARGS="--suite reports --size medium"   (200k customers, 3,000 branches)
"""

# ruff: noqa: PLC0415 - run stand-alone (python -m bench.reports), it points Django at the bench database first.

import argparse
import datetime
import os
import statistics
import sys
import time

SIZES = {
    # customers, branches, managers
    "small": (20_000, 200, 400),
    "medium": (200_000, 3_000, 4_000),
    "large": (1_000_000, 3_000, 20_000),
}
BANK = "RPTB"
DAY = datetime.date(2026, 6, 30)
BEFORE = datetime.date(2026, 5, 31)
REPORTS = [
    "customers_report",
    "balances_report",
    "penetration_report",
    "transactions_report",
    "measures_report",
    "campaigns_report",
    "servicerequests_report",
    "crossborder_report",
    "profitsharing_report",
]


def _times(fn, repeat):
    fn()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _generate(size):
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from customers.master.models import Customer, Product
    from reports.snapshots.models import (
        CustomerDay,
        HoldingDay,
        MeasureDay,
        RollupDay,
        RollupMoveDay,
        SnapshotRun,
        TransactionDay,
    )
    from sysadmin.org.models import Bank, Branch, Staff

    customers, branches, managers = SIZES[size]
    bank = Bank.objects.filter(code=BANK).first()
    if bank is not None and Customer.objects.filter(bank=bank).count() == customers:
        return bank
    started = time.perf_counter()
    with transaction.atomic():
        if bank is not None:
            for model in (CustomerDay, HoldingDay, TransactionDay, MeasureDay, RollupDay, RollupMoveDay, SnapshotRun):
                model.objects.filter(bank_id=bank.pk).delete()
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {Customer._meta.db_table} WHERE bank_id = %s", [bank.pk])
        else:
            bank = Bank.objects.create(
                code=BANK, name_local="报表银行", name_en="Report Bank", base_currency="CNY", head_office_country="CN"
            )
        if not Branch.objects.filter(bank=bank).exists():
            head = Branch.objects.create(
                bank=bank,
                code="R-HO",
                name_local="总行",
                name_en="Head office",
                country="CN",
                timezone="Asia/Shanghai",
                level="head_office",
            )
            regions = [
                Branch.objects.create(
                    bank=bank,
                    code=f"R-{r:02d}",
                    name_local=f"分行{r}",
                    name_en=f"Region {r}",
                    parent=head,
                    country="CN",
                    timezone="Asia/Shanghai",
                    level="region",
                )
                for r in range(10)
            ]
            for index in range(branches - 11):
                Branch.objects.create(
                    bank=bank,
                    code=f"R-B{index:05d}",
                    name_local=f"支行{index}",
                    name_en=f"Branch {index}",
                    parent=regions[index % 10],
                    country="CN",
                    timezone="Asia/Shanghai",
                )
        leaves = list(Branch.objects.filter(bank=bank, level="branch").order_by("pk").values_list("pk", flat=True))
        if Staff.objects.filter(bank=bank, username__startswith="rpt.mgr.").count() < managers:
            Staff.objects.filter(bank=bank, username__startswith="rpt.").delete()
            people = [
                Staff(
                    username=f"rpt.mgr.{m:05d}", bank=bank, branch_id=leaves[m % len(leaves)], name_local=f"经理{m}", password="!"
                )
                for m in range(managers)
            ]
            Staff.objects.bulk_create(people, batch_size=2000)
            group = Group.objects.get(name="customer_manager")
            group.user_set.add(*Staff.objects.filter(bank=bank, username__startswith="rpt.mgr."))
        staff = list(
            Staff.objects.filter(bank=bank, username__startswith="rpt.mgr.").order_by("pk").values_list("pk", "branch_id")
        )
        products = [
            Product.objects.get_or_create(
                bank=bank,
                code=code,
                defaults={"name_local": code, "name_en": code, "category": category, "product_type": kind, "currency": "CNY"},
            )[0].pk
            for code, category, kind in (
                ("R-DD", "asset", "demand_deposit"),
                ("R-TD", "asset", "time_deposit"),
                ("R-LN", "liability", "loan"),
                ("R-FD", "fee", "fund"),
            )
        ]
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE rpt_staff (n int, manager_id bigint, branch_id bigint) ON COMMIT DROP")
            cursor.executemany(
                "INSERT INTO rpt_staff VALUES (%s, %s, %s)", [(n, pk, branch) for n, (pk, branch) in enumerate(staff)]
            )
            cursor.execute(
                f"""INSERT INTO {Customer._meta.db_table}
                    (number, kind, name_local, name_latin, name_grams, lifecycle_stage, tier, star_rating, risk_level,
                     aum, contribution, source_systems, do_not_contact, do_not_sms, do_not_email, created_at, updated_at,
                     bank_id, branch_id, primary_manager_id)
                SELECT 'R' || lpad(g::text, 8, '0'), 'retail', '客户' || g, 'Customer ' || g, '{{}}', 'active', 'mass', 1, 'R3',
                       0, 0, '{{}}', false, false, false, now(), now(), %s, s.branch_id, s.manager_id
                FROM generate_series(1, %s) g JOIN rpt_staff s ON s.n = g %% %s""",
                [bank.pk, customers, len(staff)],
            )
            for day, grow in ((DAY, 1.0), (BEFORE, 0.95)):
                cursor.execute(
                    f"""INSERT INTO {CustomerDay._meta.db_table}
                        (bank_id, business_date, customer_id, branch_id, manager_id, kind, lifecycle_stage, tier,
                         star_rating, aum, liabilities, contribution, fee_income, products_held, product_categories,
                         transactions_30d, method_version)
                    SELECT c.bank_id, %s, c.id, c.branch_id, c.primary_manager_id, 'retail',
                           (ARRAY['prospect','active','active','dormant','declining'])[1 + (c.id + %s) %% 5],
                           (ARRAY['mass','mass','affluent','wealth','private'])[1 + c.id %% 5], 1 + c.id %% 5,
                           round(((c.id * 7919) %% 100000) * %s, 2), (c.id %% 13) * 1000, (c.id %% 17) * 10, (c.id %% 3) * 1.5,
                           c.id %% 5, (ARRAY['', 'asset', 'asset,liability', 'asset,fee', 'asset,fee,liability'])[1 + c.id %% 5],
                           c.id %% 40, 1
                    FROM {Customer._meta.db_table} c WHERE c.bank_id = %s""",
                    [day, 0 if day == DAY else 1, grow, bank.pk],
                )
                cursor.execute(
                    f"""INSERT INTO {HoldingDay._meta.db_table}
                        (bank_id, business_date, branch_id, manager_id, product_id, category, currency, holders, accounts,
                         balance, balance_base, method_version)
                    SELECT %s, %s, s.branch_id, s.manager_id, p.id, p.category, 'CNY', 10, 12, 100000 * %s, 100000 * %s, 1
                    FROM rpt_staff s CROSS JOIN {Product._meta.db_table} p WHERE p.id = ANY(%s)""",
                    [bank.pk, day, grow, grow, products],
                )
                cursor.execute(
                    f"""INSERT INTO {TransactionDay._meta.db_table}
                        (bank_id, business_date, branch_id, manager_id, channel, txn_type, currency, count, amount_base,
                         method_version)
                    SELECT %s, %s, s.branch_id, s.manager_id, ch, ty, 'CNY', 5, 5000, 1
                    FROM rpt_staff s, unnest(ARRAY['online','mobile','counter','atm']) ch,
                         unnest(ARRAY['transfer','deposit']) ty""",
                    [bank.pk, day],
                )
                cursor.execute(
                    f"""INSERT INTO {MeasureDay._meta.db_table}
                        (bank_id, business_date, branch_id, manager_id, measure, value, method_version)
                    SELECT %s, %s, s.branch_id, s.manager_id, m, 3, 1
                    FROM rpt_staff s, unnest(ARRAY['campaigns.conversions','servicerequests.completed']) m""",
                    [bank.pk, day],
                )
                SnapshotRun.objects.update_or_create(
                    bank_id=bank.pk,
                    business_date=day,
                    defaults={"status": "done", "started_at": "2026-07-01T00:00Z", "finished_at": "2026-07-01T00:10Z"},
                )
            for model in (Customer, CustomerDay, HoldingDay, TransactionDay, MeasureDay, RollupDay):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    print(f"generated {customers} customers, {branches} branches, {managers} managers in {time.perf_counter() - started:.1f} s")
    return bank


def _roll_up(bank):
    """The nightly roll-up of both dates and the movement between them, and the per-branch
    holdings and transactions, as the build writes them (data generated before they existed gets
    them here)."""
    from django.db import connection, transaction

    from reports.snapshots import rollup

    with transaction.atomic(), connection.cursor() as cursor:
        for day in (DAY, BEFORE):
            if day not in rollup.dates_with_rollup(bank.pk, [day]):
                rollup.write(cursor, bank.pk, day)
        if not rollup.has_movement(bank.pk, DAY, BEFORE):
            rollup.write_movement(cursor, bank.pk, DAY)
        for model in rollup.BRANCH_TABLES:
            if not rollup.branch_complete(model, bank.pk, [DAY, BEFORE]):
                for day in (DAY, BEFORE):
                    rollup.write_branch(cursor, bank.pk, day)
                cursor.execute(f"ANALYZE {rollup.BRANCH_TABLES[model]._meta.db_table}")
        cursor.execute("ANALYZE reports_rollupday")
        cursor.execute("ANALYZE reports_rollupmoveday")


def run(size="small", repeat=30):
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from bench.targets import Targets
    from reports.snapshots.models import CustomerDay
    from sysadmin.org.models import Branch, Staff

    size = size if size in SIZES else "small"
    repeat = max(5, min(repeat, 30))
    bank = _generate(size)
    _roll_up(bank)
    head = Branch.objects.get(bank=bank, code="R-HO")
    reader, _created = Staff.objects.get_or_create(
        username="rpt.head", defaults={"bank": bank, "branch": head, "name_local": "总行", "password": "!"}
    )
    reader.groups.add(Group.objects.get(name="marketing_manager"))
    Staff.objects.filter(pk=reader.pk).update(password_changed_at=timezone.now(), must_change_password=False)
    reader.refresh_from_db()
    targets = Targets("reports")
    client = Client()
    client.force_login(reader)
    rows = CustomerDay.objects.filter(bank_id=bank.pk, business_date=DAY).count()
    print(f"\nreports on --size {size}: bank {BANK}, {rows} customer rows a day; medians of {repeat} requests\n")
    print(f"{'page':60} {'median ms':>9} {'queries':>8}")

    def measure(label, url):
        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        counted = []
        with connection.execute_wrapper(lambda execute, *args: counted.append(1) or execute(*args)):
            get()
        ms = _times(get, repeat)
        print(f"{label:60} {ms:9.1f} {len(counted):8d}")
        return ms, len(counted)

    home, _home_queries = measure("baseline: the logged-in home page (same user, same run)", reverse("home"))
    worst, worst_queries = 0, 0
    for name in REPORTS:
        for suffix, query in (("", ""), (" compared", "?compare=2026-05-31")):
            ms, queries = measure(f"whole bank: {name}{suffix}", reverse(f"reports:{name}") + query)
            worst, worst_queries = max(worst, ms), max(worst_queries, queries)
    targets.add("bank_page_median", worst, "ms", "<=150")
    targets.add("bank_page_queries", worst_queries, "", "<=25")
    print(f"slowest whole-bank page: {worst / home:.1f}x the home page")
    manager = (
        CustomerDay.objects.filter(bank_id=bank.pk, business_date=DAY)
        .values("manager_id")
        .order_by("-manager_id")
        .first()["manager_id"]
    )
    book = CustomerDay.objects.filter(bank_id=bank.pk, business_date=DAY, manager_id=manager).count()
    drill, drill_queries = measure(
        f"drill-down: a manager's {book} customers (balances)",
        reverse("reports:balances_report") + f"?manager={manager}&by=customer",
    )
    targets.add("drill_customers_median", drill, "ms", "<=150")
    targets.add("drill_customers_queries", drill_queries, "", "<=25")
    print(f"drill-down to a manager's customers: {drill / home:.1f}x the home page")
    seconds, peak_mb, count = _monthly_reports(bank)
    print(f"monthly formatted branch reports: {count} branches in {seconds:.1f} s, peak {peak_mb:.0f} MB (worker process)")
    if count >= 3000:  # the figure is for 3,000 branches (--size medium / large)
        targets.add("monthly_reports_3000_branches_time", seconds, "s", "<=300")
        targets.add("monthly_reports_3000_branches_peak", peak_mb, "MB", "<=300")
    targets.print()


def _monthly_reports(bank):
    """The month-end job's work for every branch of the bank (formatted.write, streamed to a
    temporary file each) in a forked process, as on one worker: (seconds, peak RSS in MB, branches).
    The peak is the child's whole resident set (Django loaded), not only what the reports add."""
    import tempfile

    from django.db import connections

    from reports.catalogue import formatted
    from sysadmin.org.models import Branch

    branches = list(Branch.objects.filter(bank=bank).order_by("path"))
    connections.close_all()  # the child opens its own
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one worker writing every branch's report
        os.close(read)
        started = time.perf_counter()
        figures = formatted.MonthFigures(bank, DAY)  # as the month-end job: the bank's figures once
        for branch in branches:
            with tempfile.TemporaryFile() as handle:
                formatted.write(branch, DAY, handle, figures=figures)
        os.write(write, f"{time.perf_counter() - started}".encode())
        os._exit(0)
    os.close(write)
    _pid, _status, usage = os.wait4(pid, 0)
    with os.fdopen(read) as pipe:
        seconds = float(pipe.read() or "nan")
    return seconds, usage.ru_maxrss / 1024, len(branches)


def main(argv=None):
    """Stand-alone: python -m bench.reports --size small (the bench database, as bench/__main__)."""
    parser = argparse.ArgumentParser(prog="python -m bench.reports")
    parser.add_argument("--size", choices=list(SIZES), default="small")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    from bench.__main__ import _ensure_database

    url = os.environ["DATABASE_URL"]
    base, _, name = url.partition("?")[0].rpartition("/")
    query = url.partition("?")[2]
    os.environ["DATABASE_URL"] = f"{base}/{name}_bench" + (f"?{query}" if query else "")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ocrm.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    _ensure_database(f"{base}/postgres" + (f"?{query}" if query else ""), f"{name}_bench")
    import django

    django.setup()
    from django.core.management import call_command

    from tests.support import mfa

    mfa.install()
    call_command("migrate", verbosity=0)
    run(size=args.size, repeat=args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
