"""The ACRM analyses' pages for a whole bank (issue 18: a report page from snapshots, median
<= 150 ms, bounded query count), read from the rows the nightly build precomputes
(reports.analyses.precompute), against the same pages computing from CustomerDay (the state
before the precompute) and the kernel's home page, in the same run.

    make bench BENCH_ARGS="--suite analyses --size medium|large [--repeat N]"

On the demo customers of bench/customers.py's generator (medium 50k, large 1M), bank OGB: the
snapshots of the business dates D - 90, D - 30 and D (D: the bank's local yesterday) are built
(reports.snapshots.build, which runs the derived step); then, as a head-office auditor (bank
scope), each analysis page of D is requested N times: precomputed, then with the date's marker
removed (live: ranked and grouped from CustomerDay on every request). Also: the precompute's own
time against the build's time for D.
"""

import datetime
import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.customers import ensure_data
from bench.dashboard import _bench_staff
from bench.lifecycle import _rates_for
from bench.targets import Targets
from ocrm.batch import jobs
from reports.analyses import precompute
from reports.analyses.models import AnalysisDay
from reports.snapshots import build as snapshots
from reports.snapshots.models import CustomerDay, HoldingDay, MeasureDay, SnapshotRun, TransactionDay
from sysadmin.org.models import Bank, Branch

BANK = "OGB"
PAGES = ("pareto", "segments", "churn", "top_customers")
SNAPSHOT_TABLES = (CustomerDay, HoldingDay, TransactionDay, MeasureDay, *precompute.TABLES)


def _median_ms(client, url, repeat):
    _get(client, url)  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        _get(client, url)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        _get(client, url)
    return len(ctx.captured_queries)


def _clear(bank_id, day):
    with connection.cursor() as cursor:
        for model in SNAPSHOT_TABLES:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE bank_id = %s AND business_date = %s", [bank_id, day])
    SnapshotRun.objects.filter(bank_id=bank_id, business_date=day).delete()


def run(size, repeat):
    ensure_data(size)
    bank = Bank.objects.get(code=BANK)
    day = jobs.last_ended_business_date(bank.pk)
    dates = [day - datetime.timedelta(days=90), day - datetime.timedelta(days=30), day]
    for each in dates:
        _rates_for([bank.pk], each)
    for each in dates[:-1]:
        snapshots.build(bank, each)
    _clear(bank.pk, day)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_customerday")
    started = time.perf_counter()
    snapshots.build(bank, day)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        written = precompute.precompute(cursor, bank, day)  # idempotent: the same rows again
    precompute_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        for model in SNAPSHOT_TABLES:
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    customers = CustomerDay.objects.filter(bank_id=bank.pk, business_date=day).count()
    branches = Branch.objects.filter(bank=bank).count()
    repeat = max(5, min(repeat, 30))
    print(
        f"\nanalyses on --size {size}: bank {BANK}, {customers} customers in the snapshot of {day}, {branches} branches; "
        f"build of the date {build_s:.1f} s, of which the analyses' precompute {precompute_s:.1f} s {written}"
    )
    head_office = Branch.objects.filter(bank=bank, parent__isnull=True).order_by("path").first()
    auditor = _bench_staff("bench.analyses.aud", head_office, "auditor")
    client = Client()
    client.force_login(auditor)
    home = reverse("home")
    home_ms = _median_ms(client, home, repeat)
    print(f"medians of {repeat} requests as {auditor.username} (bank scope), Django's test client\n")
    print(f"{'page':32} {'median ms':>9} {'x home':>7} {'queries':>8} {'live ms':>9} {'live queries':>12}")
    print(f"{'home page':32} {home_ms:9.1f} {1:7.1f} {_queries(client, home):8d}")
    targets = Targets("analyses")
    worst = 0
    marker = AnalysisDay.objects.get(bank_id=bank.pk, business_date=day)
    for page in PAGES:
        url = f"{reverse('reports:analyses_' + page)}?date={day.isoformat()}"
        ms = _median_ms(client, url, repeat)
        queries = _queries(client, url)
        # The same page computing from CustomerDay (no marker: the state before the precompute).
        AnalysisDay.objects.filter(pk=marker.pk).delete()
        try:
            live_ms = _median_ms(client, url, max(3, repeat // 5))
            live_queries = _queries(client, url)
        finally:
            marker.save(force_insert=True)
        print(f"{page:32} {ms:9.1f} {ms / home_ms:7.1f} {queries:8d} {live_ms:9.1f} {live_queries:12d}")
        targets.add(f"{page}_median", ms, "ms", "<=150")
        targets.add(f"{page}_queries", queries, "", "<=30")
        print(f"  live (before): {page}_median {live_ms:.0f} ms; speed-up x{live_ms / ms:.1f}")
        worst = max(worst, ms / home_ms)
    targets.add("slowest_ratio_to_home", worst, "x", "<=10")
    targets.add("precompute_share_of_build", precompute_s / build_s, "x", "<=0.5")
    targets.print()
