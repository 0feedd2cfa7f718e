"""Source-system feeds (issue 4): the full load path against a bare COPY of the same files.

    make bench BENCH_ARGS="--suite feeds --size medium|large"

Generates a customer feed (medium 50k rows, large 1M), a holdings feed (one account per
customer) and a transactions feed (ten per customer: 500k / 10M) as CSV under
var/bench-feeds/<size>/, then in the same run:
  * bare COPY: each file streamed with COPY ... FROM STDIN (FORMAT csv) into a typed,
    unindexed, ordinary table (issue 4's old bar, retired by issue 19: shown for comparison);
  * full path: customers.ecif.feeds.services.run_load on the same files (read + cell checks +
    COPY into staging + SQL checks + upserts into the indexed production tables + matching),
    with the time spent in matching (customers.ecif.matching.services) shown on its own. Holdings and
    transactions take the COPY path of customers/ecif/feeds/copying.py (raw bytes into COPY, the
    cell checks in SQL); customers go through the per-row Python checks (identity numbers,
    phones, e-mails).
BENCH_FEEDS_MATCHING=stand-in replaces matching by one new customer per record (bench/matching.py
measures the matching engine itself).
Also measured in the same run, before and after the full path: the floor of ANY loader that stages the
transactions file as the issue asks (COPY into a text staging table, then one INSERT ... SELECT
that only casts, with no check and no join), into an unindexed, unpartitioned table (for
information) and into customers_transaction itself, partitioned and indexed, rolled back
(staging_floor). Target (issue 19): the full path of the transactions >= 0.5x the speed of that
floor after it, each taken at its best over the runs. The floor before it is run so that the full
path and the floor after it meet the table in the same state (rows of the same size deleted and
vacuumed: room in the heap and the indexes); it is printed, not part of the target."""

import csv
import datetime
import os
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from bench.targets import Targets
from customers.ecif.feeds import services
from customers.ecif.feeds.models import FeedLoad, SourceRecord
from customers.master.models import Customer, Product
from ocrm import pii
from sysadmin import demo as org_demo
from sysadmin.org.models import Bank, Branch

SIZES = {"small": 12_000, "medium": 50_000, "large": 1_000_000}
TXNS_PER_CUSTOMER = 10
BUSINESS_DATE = datetime.date(2026, 11, 20)
COPY_CHUNK = 1024 * 1024

BARE_TABLES = {
    "customers": """customer_key text, kind text, name text, gender text, birth_date date, nationality text,
                    id_type text, id_number text, phone text, email text, branch_code text""",
    "holdings": "account_number text, customer_key text, product_code text, currency text, balance numeric(20,2)",
    "transactions": """txn_id text, account_number text, customer_key text, occurred_at timestamptz,
                       amount numeric(20,2), currency text, direction text, channel text, txn_type text,
                       description text""",
}


def _resident_id(i):
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=i // 1000)
    prefix = f"110105{birth:%Y%m%d}{i % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(prefix, pii.RESIDENT_ID_WEIGHTS, strict=True))
    return prefix + pii.RESIDENT_ID_CHECK[total % 11], birth


def generate(folder, n, branch_code, product_code):
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f"done-{n}"
    paths = {feed: folder / f"BENCH_{feed}_{BUSINESS_DATE:%Y%m%d}.csv" for feed in BARE_TABLES}
    if marker.exists():
        print(f"using the feed files already generated in {folder}")
        return paths
    started = time.perf_counter()
    with open(paths["customers"], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "customer_key",
                "kind",
                "name",
                "gender",
                "birth_date",
                "nationality",
                "id_type",
                "id_number",
                "phone",
                "email",
                "branch_code",
            ]
        )
        for i in range(n):
            number, birth = _resident_id(i)
            writer.writerow(
                [
                    f"BK{i:08d}",
                    "retail",
                    f"客户{i}",
                    "MF"[i % 2],
                    birth.isoformat(),
                    "CN",
                    "resident_id",
                    number,
                    f"139{i:08d}",
                    f"c{i}@example.com",
                    branch_code,
                ]
            )
    with open(paths["holdings"], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account_number", "customer_key", "product_code", "currency", "balance"])
        for i in range(n):
            writer.writerow([f"BA{i:08d}", f"BK{i:08d}", product_code, "CNY", f"{(i * 37) % 100000}.{i % 100:02d}"])
    channels = ("counter", "atm", "online", "mobile", "pos")
    with open(paths["transactions"], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "txn_id",
                "account_number",
                "customer_key",
                "occurred_at",
                "amount",
                "currency",
                "direction",
                "channel",
                "txn_type",
                "description",
            ]
        )
        for j in range(n * TXNS_PER_CUSTOMER):
            i = j // TXNS_PER_CUSTOMER
            writer.writerow(
                [
                    f"BT{j:010d}",
                    f"BA{i:08d}",
                    f"BK{i:08d}",
                    f"2026-11-20 {j % 24:02d}:{j % 60:02d}:{(j * 7) % 60:02d}+08:00",
                    f"{(j * 13) % 5000}.{j % 100:02d}",
                    "CNY",
                    "CD"[j % 2],
                    channels[j % 5],
                    "transfer",
                    "",
                ]
            )
    marker.touch()
    sizes = ", ".join(f"{feed} {path.stat().st_size / 1e6:.0f} MB" for feed, path in paths.items())
    print(
        f"generated {n} customers, {n} holdings, {n * TXNS_PER_CUSTOMER} transactions ({sizes}) "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return paths


def bare_copy(feed, path):
    """COPY the file, as it is, into a typed table with no index. Returns seconds."""
    table = f"bench_bare_{feed}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TABLE {table} ({BARE_TABLES[feed]})")
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER true)") as copy, open(path, "rb") as f:
            while chunk := f.read(COPY_CHUNK):
                copy.write(chunk)
        seconds = time.perf_counter() - started
        cursor.execute(f"DROP TABLE {table}")
    return seconds


def stand_in_resolve(load, run):
    """BENCH_FEEDS_MATCHING=stand-in: one new golden customer per unresolved record (bulk_create
    and one UPDATE), for measuring the load path when the matching engine is not the subject."""
    branch = Branch.objects.filter(bank_id=load.bank_id).order_by("path").last()
    records = SourceRecord.objects.filter(bank_id=load.bank_id, match_status="unresolved").values_list("pk", "kind", "name_local")
    batch = []
    for pk, kind, name in records.iterator(chunk_size=10000):
        batch.append(Customer(bank_id=load.bank_id, number=f"F{pk}", kind=kind, name_local=name, branch=branch))
        if len(batch) >= 10000:
            Customer.objects.bulk_create(batch)
            batch = []
    Customer.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE customers_sourcerecord sr SET customer_id = c.id, match_status = 'new'
                          FROM customers_customer c
                          WHERE sr.bank_id = %s AND sr.match_status = 'unresolved' AND c.bank_id = sr.bank_id
                            AND c.number = 'F' || sr.id""",
            [load.bank_id],
        )
    return 0, 0


def full_load(bank, source, feed, path):
    """run_load on the file as the job runs it. Returns (seconds, matching seconds, FeedLoad)."""
    resolve = stand_in_resolve if os.environ.get("BENCH_FEEDS_MATCHING") == "stand-in" else services._resolve
    timing = {"matching": 0.0}

    def timed_resolve(load, run):
        started = time.perf_counter()
        try:
            return resolve(load, run)
        finally:
            timing["matching"] += time.perf_counter() - started

    load = FeedLoad.objects.create(
        bank=bank,
        source_system=source,
        feed=feed,
        business_date=BUSINESS_DATE,
        original_name=path.name,
        inbox_path=str(path),
        file_size=path.stat().st_size,
        sha256=f"bench-{source}-{feed}",
        origin=FeedLoad.Origin.INBOX,
    )
    services._resolve = timed_resolve
    try:
        started = time.perf_counter()
        services.run_load(load.pk)
        seconds = time.perf_counter() - started
    finally:
        services._resolve = resolve
    load.refresh_from_db()
    if load.status != FeedLoad.Status.LOADED:
        raise RuntimeError(f"bench load of {feed} ended {load.status}: {load.error}")
    return seconds, timing["matching"], load


def staging_floor(path, source):
    """The least a loader that stages can do with the transactions file, in seconds: COPY it into an
    all-text UNLOGGED staging table (as the load does), then one INSERT ... SELECT that only casts
    the cells (no check, no join). Two targets, each from the same staged rows (figures are COPY +
    INSERT): a copy of customers_transaction without any index or partition ("heap", for
    information), and customers_transaction itself ("production", the floor of the target).

    Issue 19 asks for the floor "into the indexed production table": a LIKE copy is one plain table,
    without the monthly partitions (routing, one set of indexes per partition), so it measured a
    cheaper table than the one the load writes. The floor therefore inserts into the real table,
    inside a transaction that is rolled back (nothing remains; VACUUM removes the dead rows), and in
    the state the full path met: this run's transactions (`source`) are deleted and vacuumed first,
    so the floor neither competes with them in the indexes nor pays for their removal."""
    cast = """SELECT %s, substr(c2, 3)::bigint, substr(c1, 3)::bigint, c3::timestamptz, c4::numeric, c5, c6, c7,
                     c8, coalesce(c9, ''), true, c7 <> 'batch', %s, c0, DATE '2026-11-20' FROM bench_floor_raw"""
    columns = """bank_id, customer_id, holding_id, occurred_at, amount, currency, direction, channel, txn_type,
                 description, is_financial, customer_initiated, source_system, source_txn_id, business_date"""
    bank_id = Bank.objects.get(code="OGB").pk
    results = {}
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_transaction WHERE source_system = %s", [source])
        cursor.execute("VACUUM customers_transaction")
        cursor.execute("DROP TABLE IF EXISTS bench_floor_raw")
        cursor.execute("CREATE UNLOGGED TABLE bench_floor_raw (" + ", ".join(f"c{i} text" for i in range(10)) + ")")
        started = time.perf_counter()
        with cursor.cursor.copy("COPY bench_floor_raw FROM STDIN (FORMAT csv, HEADER true)") as copy, open(path, "rb") as f:
            while chunk := f.read(COPY_CHUNK):
                copy.write(chunk)
        staged = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_floor_raw")  # sets the hint bits: neither INSERT pays for them
        cursor.execute("DROP TABLE IF EXISTS bench_floor_txn")
        cursor.execute("CREATE TABLE bench_floor_txn (LIKE customers_transaction INCLUDING DEFAULTS INCLUDING IDENTITY)")
        started = time.perf_counter()
        cursor.execute(f"INSERT INTO bench_floor_txn ({columns}) {cast}", [bank_id, "FLOOR"])
        results["heap"] = staged + time.perf_counter() - started
        cursor.execute("DROP TABLE bench_floor_txn")
        try:
            with transaction.atomic():
                started = time.perf_counter()
                cursor.execute(f"INSERT INTO customers_transaction ({columns}) {cast}", [bank_id, source])
                results["production"] = staged + time.perf_counter() - started
                raise _RollBack
        except _RollBack:
            pass
        cursor.execute("DROP TABLE bench_floor_raw")
        cursor.execute("VACUUM customers_transaction")  # the rolled-back rows
    return results


class _RollBack(Exception):
    pass


def run(size="medium", repeat=1):
    n = SIZES[size]
    if not Bank.objects.filter(code="OGB").exists():
        org_demo.load(org_demo.build_plan(org_demo.DEFAULT_SEED))
    bank = Bank.objects.get(code="OGB")
    branch = Branch.objects.filter(bank=bank).order_by("path").last()
    product, _created = Product.objects.get_or_create(
        bank=bank,
        code="BENCH-DD",
        defaults={
            "name_local": "活期存款",
            "name_en": "Demand deposit",
            "category": "asset",
            "product_type": "demand_deposit",
            "currency": bank.base_currency,
        },
    )
    paths = generate(Path(settings.BASE_DIR) / "var" / "bench-feeds" / size, n, branch.code, product.code)
    runs = 1 if size == "large" else max(1, min(repeat, 2))
    matched_by = (
        "a stand-in (BENCH_FEEDS_MATCHING=stand-in)"
        if os.environ.get("BENCH_FEEDS_MATCHING") == "stand-in"
        else "customers.ecif.matching.services"
    )
    print(
        f"\nfeeds, size {size}: {n} customers + {n * TXNS_PER_CUSTOMER} transactions, {runs} run(s), "
        f"bare COPY and full path measured in the same run; matching by {matched_by}"
    )
    floors, fulls = [], []
    for attempt in range(runs):
        # A fresh source system per run: every run is a first delivery, not an unchanged re-send.
        source = f"BENCH{int(time.time()) % 100000}-{attempt}"
        # What the previous run left behind gets the vacuum and statistics autovacuum would have given
        # it by now (the bench server may run with autovacuum off): dead index entries of the deleted
        # rows would otherwise slow the next run's inserts. The loads analyse what they grow.
        with connection.cursor() as cursor:
            # The accounts and transactions of earlier runs (another source system) would be refused as
            # someone else's: each run delivers them for the first time.
            cursor.execute("DELETE FROM customers_transaction WHERE source_system LIKE 'BENCH%%'")
            cursor.execute(
                "DELETE FROM customers_holdingbalance hb USING customers_holding h "
                "WHERE hb.holding_id = h.id AND h.source_system LIKE 'BENCH%%'"
            )
            cursor.execute("DELETE FROM customers_holding WHERE source_system LIKE 'BENCH%%'")
            cursor.execute(
                "VACUUM (ANALYZE) customers_customer, customers_identitydocument, customers_contactpoint, "
                "customers_sourcerecord, customers_holding, customers_holdingbalance, customers_transaction"
            )
        bare = {feed: bare_copy(feed, path) for feed, path in paths.items()}
        # The floor once before the full path as well (rolled back and vacuumed): the full path then
        # meets a table with room in its pages and indexes, as the floor after it does (this run's
        # rows deleted and vacuumed). Without it, the first run on a new database grew the table and
        # split its index pages while the floor after it filled the room the full path had left.
        grown = staging_floor(paths["transactions"], source)
        full, matching, loads = {}, 0.0, {}
        for feed in ("customers", "holdings", "transactions"):
            full[feed], spent, loads[feed] = full_load(bank, source, feed, paths[feed])
            matching += spent
        for feed in ("customers", "holdings", "transactions"):
            load = loads[feed]
            rate = load.rows_read / full[feed] if full[feed] else 0
            print(
                f"  {feed:<12} bare COPY {bare[feed]:7.1f} s | full path {full[feed]:7.1f} s ({rate:,.0f} rows/s; "
                f"read {load.rows_read}, loaded {load.rows_loaded}, rejected {load.rows_rejected})"
                + (f", of which matching {matching:.1f} s" if feed == "customers" else "")
            )
        bare_total = bare["customers"] + bare["transactions"]
        full_total = full["customers"] + full["transactions"]
        print(
            f"  customers + transactions: bare COPY {bare_total:.1f} s, full path {full_total:.1f} s -> "
            f"speed ratio {bare_total / full_total:.2f} (the retired bar of issue 4); without matching "
            f"{bare_total / (full_total - matching):.2f}"
        )
        floor = staging_floor(paths["transactions"], source)
        print(
            f"  the same floor before the full path (which then meets the room it leaves, as the floor after "
            f"it does): {grown['production']:.1f} s into customers_transaction"
        )
        print(
            f"  floor of any staging loader, transactions only (COPY into text staging + one INSERT that only "
            f"casts): {floor['heap']:.1f} s into an unindexed, unpartitioned table = "
            f"{bare['transactions'] / floor['heap']:.2f}x the bare COPY; {floor['production']:.1f} s into "
            f"customers_transaction itself (partitioned, indexed; rolled back) = "
            f"{bare['transactions'] / floor['production']:.2f}x; full path / floor = "
            f"{floor['production'] / full['transactions']:.2f}x"
        )
        floors.append(floor["production"])
        fulls.append(full["transactions"])
    # Issue 19's bar: the full path (checks, errors, upsert) at least half as fast as the floor of any
    # staging loader into the indexed production table, both measured in the same run. Each at its
    # best over the runs: on a shared machine a run's ratio also measures whichever of the two the
    # other work slowed down.
    targets = Targets("feeds")
    targets.add("transactions_vs_floor", min(floors) / min(fulls), "x", ">=0.5")
    targets.print()
