"""Customers on generated data (seed_demo's customers, customers/demo.py): the 360 page,
search and exact look-ups, and a 100k-row XLSX export, each against a baseline measured in the
same run (issue 19: the machine is shared, so goals are ratios).

  * the home page of each measured user, requested in alternation with every page measured
    (home, page, home, page ...): a page's ratio is its median over the home page's median of
    the same stretch of time, its p95 ratio its p95 over that home median;
  * 360 page of a typical customer (retail, median holdings) seen by its manager: ratio to
    home, SQL query count;
  * search through the list page's q box and as the raw queryset (first page + exact count),
    as a bank-wide user and a branch supervisor, with fragments chosen by frequency from the
    generated names (a common, a medium and a rare one of each script, printed with their hit
    counts); then user-chosen sort orders and browsing without a search; exact look-ups by ID
    number, phone and account number;
  * XLSX export (ocrm.lists.exports.table_rows + write_xlsx, the customers export table) in a
    subprocess, its peak memory the child's own (ru_maxrss read by /usr/bin/time -v, a small
    parent: RUSAGE_CHILDREN of this large process reports the parent's size), against a second
    subprocess in which openpyxl's write-only mode writes the same rows from plain tuples.
Targets (issue 19): 360 page <= 3x home and <= 25 queries; a 2-character Chinese search by a
bank-wide user <= 2x home; every list-page variant <= 3x home, p95 <= 4x home; exact look-up
<= 20 ms (issue 3); export <= 2x raw openpyxl, <= 200 MB.
"""

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from bench.targets import Targets
from customers import demo as customer_demo
from customers.master.filtersets import exact_match_condition, user_region
from customers.master.models import ContactPoint, Customer, Holding, IdentityDocument, Transaction
from customers.master.search import filter_by_name
from customers.master.tables import ROW_FIELDS, CustomerExportTable, list_prefetches
from customers.profile import sections as detail_sections
from ocrm.lists.exports import table_rows, write_xlsx
from sysadmin import demo as org_demo
from sysadmin.org.models import Bank, Staff

# Regular expressions (PostgreSQL) of the grams a fragment is picked from: two CJK characters; a
# whole Latin word of retail names (a family name typed in full).
CJK_PAIR = "^[\u4e00-\u9fff]{2}$"


def _pick(counts):
    """(common, medium, rare) of [(text, hits)] sorted by hits descending: the most frequent, the
    one nearest a tenth of it, and the most frequent of those with at most 3 hits."""
    common = counts[0]
    medium = min(counts[1:], key=lambda row: (abs(row[1] - common[1] / 10), row[0]))
    rare = next((row for row in counts if row[1] <= 3), counts[-1])
    return [common, medium, rare]


def pick_fragments(bank_code="OGB"):
    """Search fragments chosen by their frequency among the bank's retail names."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT g, count(*) FROM customers_customer c JOIN sysadmin_bank b ON b.id = c.bank_id,
                      unnest(c.name_grams) g
               WHERE b.code = %s AND c.kind = 'retail' AND c.merged_into_id IS NULL AND g ~ %s
               GROUP BY g ORDER BY 2 DESC, 1""",
            [bank_code, CJK_PAIR],
        )
        cjk = cursor.fetchall()
        cursor.execute(
            """SELECT w, count(DISTINCT c.id) FROM customers_customer c JOIN sysadmin_bank b ON b.id = c.bank_id,
                      regexp_split_to_table(lower(c.name_latin), '[^a-z]+') w
               WHERE b.code = %s AND c.kind = 'retail' AND c.merged_into_id IS NULL AND length(w) >= 2
               GROUP BY w ORDER BY 2 DESC, 1""",
            [bank_code],
        )
        latin = cursor.fetchall()
    return [text for text, _n in _pick(cjk)], [text for text, _n in _pick(latin)]


def ensure_data(size, count=None):
    wanted = count or customer_demo.SIZES[size]
    if not Bank.objects.filter(code="OGB").exists():
        org_demo.load(org_demo.build_plan(org_demo.DEFAULT_SEED))
    have = Customer.objects.filter(bank__code__in=["OGB", "HCB"]).count()
    if have == wanted and _candidates().exists():
        print(f"using the {have} demo customers already generated")
        return
    if have == wanted:
        # The dashboard suite gives its manager a 20k-customer book: at small and medium size that is
        # every customer of the bank, moved to one branch, which leaves this suite nothing typical.
        print("the demo customers were rearranged by another suite (dashboard): generating them again")
    if have:
        customer_demo.reset()
    print(f"generating {wanted} demo customers ...", flush=True)
    counts = customer_demo.load(wanted, progress=lambda line: print("  " + line, flush=True))
    print(
        f"generated {counts['customer']} customers, {counts['holding']} holdings, {counts['transaction']} transactions, "
        f"{counts['balance']} balance points in {counts['seconds']} s (ANALYZE {counts['analyse_seconds']} s)"
    )


def _times(fn, repeat):
    fn()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


class Paired:
    """A page timed in alternation with its user's home page (home, page, home, page ...), so that
    both see the same load of the shared machine: (median, p95, home median, ratio, p95 ratio)."""

    def __init__(self, client, home_url, repeat):
        self.client, self.home_url, self.repeat = client, home_url, repeat

    def __call__(self, fn):
        home = lambda: _page(self.client, self.home_url)  # noqa: E731
        fn(), home()  # warm
        page_times, home_times = [], []
        for _ in range(self.repeat):
            for target, times in ((home, home_times), (fn, page_times)):
                started = time.perf_counter()
                target()
                times.append((time.perf_counter() - started) * 1000)
        page_times.sort()
        median, home_median = statistics.median(page_times), statistics.median(home_times)
        p95 = page_times[min(len(page_times) - 1, int(len(page_times) * 0.95))]
        return median, p95, home_median, median / home_median, p95 / home_median


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def _search_url(client, list_url, query):
    """The address of the list a search shows: the search form is posted (its fields stay on the
    server, issue 11.4) and the list is read at ?s=<token> - the page timed below."""
    if not query:
        return list_url
    response = client.post(list_url, QueryDict(query))
    assert response.status_code == 302, (query, response.status_code)
    return response.url


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        _page(client, url)
    return len(ctx.captured_queries)


def _row(label, median, p95=None, queries=None, target="", home=None):
    p95_text = f"{p95:8.1f}" if p95 is not None else " " * 8
    q_text = f"{queries:8d}" if queries is not None else " " * 8
    home_text = f"{home:7.1f}" if home is not None else " " * 7
    print(f"{label:62} {median:9.1f} {p95_text} {q_text} {home_text}  {target}", flush=True)


def _load():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _candidates():
    """Typical customers for the 360 page: retail, active, in China, managed, with 3 holdings."""
    return (
        Customer.objects.filter(
            bank__code="OGB", kind="retail", branch__country="CN", primary_manager__isnull=False, lifecycle_stage="active"
        )
        .annotate(n=Count("holdings"))
        .filter(n=3)
        .order_by("number")
    )


def typical_customer():
    candidates = _candidates()
    return candidates[len(candidates[:200]) // 2]


def run(size, repeat, count=None, export_rows=100_000):
    ensure_data(size, count)
    # The pages are timed as the web process serves them, its start-up objects frozen. Imported here: the
    # export's child processes import this module and measure the export's own memory, as before.
    from ocrm import wsgi  # noqa: PLC0415

    wsgi.settle()
    print(f"\ncustomers: {Customer.objects.count()}, transactions: {Transaction.objects.count()}, size {size}")
    print(f"medians of {repeat} requests, each after a request of the same user's home page; load average {_load()}\n")
    print(f"{'measure':62} {'median ms':>9} {'p95 ms':>8} {'queries':>8} {'home ms':>7}  target")
    targets = Targets("customers")
    cn_ratios, list_ratios, list_p95_ratios, exact, cn_floors = [], [], [], [], []
    variants = {}  # (user label, query) -> the list page's ratio to home
    sql_alone = {}  # (user label, query) -> the ratio to home of the statements that page sends, alone
    sessions = {}  # user label -> (client, paired)

    # (a) the 360 page
    customer = typical_customer()
    manager = customer.primary_manager
    client = Client()
    client.force_login(manager)
    home = reverse("home")
    paired = Paired(client, home, repeat)
    home_ms, home_p95 = _times(lambda: _page(client, home), repeat)
    _row(f"home page ({manager.username})", home_ms, home_p95, _queries(client, home))
    detail = reverse("customers:detail", args=[customer.number])
    ms, p95, home_ms, ratio, _p95_ratio = paired(lambda: _page(client, detail))
    queries = _queries(client, detail)
    _row(f"360 page {customer.number} (x{ratio:.2f} home)", ms, p95, queries, "<= 3x home, <= 25 queries", home_ms)
    targets.add("page360_vs_home", ratio, "x", "<=3")
    targets.add("page360_queries", queries, "", "<=25")
    _deferred_sections(client, paired, customer, manager)

    # (b) search, as a bank-wide user and a branch supervisor
    cn_fragments, latin_fragments = pick_fragments()
    print(f"fragments by frequency (common, medium, rare): {' '.join(cn_fragments)} / {' '.join(latin_fragments)}")
    users = {"bank-wide (mm1)": Staff.objects.get(username="mm1"), "supervisor (sup.sh)": Staff.objects.get(username="sup.sh")}
    list_url = reverse("customers:list")
    for label, user in users.items():
        client = Client()
        client.force_login(user)
        paired = Paired(client, home, repeat)
        sessions[label] = (client, paired)
        home_ms, home_p95 = _times(lambda client=client: _page(client, home), repeat)
        _row(f"{label} home page", home_ms, home_p95, _queries(client, home))
        visible = Customer.objects.visible_to(user).active()
        for fragment in cn_fragments + latin_fragments:

            def raw(fragment=fragment, visible=visible):
                qs = filter_by_name(visible, fragment).order_by("-aum", "number")
                return list(qs[:25]), qs.count()

            hits = raw()[1]
            url = _search_url(client, list_url, f"q={fragment}")
            ms, p95, home_ms, ratio, p95_ratio = paired(lambda url=url, client=client: _page(client, url))
            list_ratios.append(ratio)
            list_p95_ratios.append(p95_ratio)
            variants[label, f"q={fragment}"] = ratio
            chinese = fragment in cn_fragments
            if chinese and user.username == "mm1":
                cn_ratios.append(ratio)
            _row(
                f"{label} list q={fragment} ({hits} hits, x{ratio:.2f} home)",
                ms,
                p95,
                _queries(client, url),
                "<= 2x home" if chinese and user.username == "mm1" else "<= 3x home, p95 <= 4x",
                home_ms,
            )
            if chinese and user.username == "mm1":
                # The floor of this page: the statements it sends, run alone, timed against the same home
                # page as the page itself (issue 19 allows a goal below a measured floor).
                ms, p95, home_ms, floor, _p95_floor = paired(_sql_alone(client, url))
                cn_floors.append((ratio, floor, fragment, hits))
                sql_alone[label, f"q={fragment}"] = floor
                _row(f"{label} its SQL alone {fragment} (x{floor:.2f} home)", ms, p95, home=home_ms)
            else:
                ms, p95 = _times(raw, repeat)
                _row(f"{label} raw queryset {fragment} (page + exact count)", ms, p95)
        # User-chosen sort orders with a rare and a common name, and browsing without a search.
        rare_cn, medium_latin, common_latin = cn_fragments[2], latin_fragments[1], latin_fragments[0]
        queries = (
            f"q={rare_cn}&sort=name_latin",
            f"q={rare_cn}&sort=-number",
            f"q={rare_cn}&sort=aum",
            f"q={medium_latin}&sort=number",
            f"q={common_latin}&sort=name_latin",
            f"q={common_latin}&sort=-number",
            "",
            "sort=name_latin",
            "page=40",
            "tier=mass",
            "stars=1",
            f"q={common_latin}&tier=mass",
        )
        for query, (ratio, p95_ratio) in _list_variants(label, client, paired, list_url, queries).items():
            list_ratios.append(ratio)
            list_p95_ratios.append(p95_ratio)
            variants[label, query] = ratio
        # The SQL of the page without a search, for the floors of the search pages (_design_floor).
        sql_alone[label, ""] = paired(_sql_alone(client, list_url))[3]
    list_floor = _worst_list_floor(variants, sql_alone, sessions, list_url)  # printed with the targets

    # exact look-ups (by the bank-wide user)
    user = users["bank-wide (mm1)"]
    client = Client()
    client.force_login(user)
    visible = Customer.objects.visible_to(user).active()
    document = IdentityDocument.objects.filter(bank_id=user.bank_id, doc_type="resident_id").order_by("pk")[1000]
    phone = ContactPoint.objects.filter(bank_id=user.bank_id, kind="mobile", value__startswith="+86").order_by("pk")[1000]
    account = Holding.objects.filter(bank_id=user.bank_id).order_by("pk")[1000]
    for label, value in (("ID number", document.clear_number()), ("phone", phone.value[3:]), ("account", account.account_number)):

        def raw(value=value):
            condition = exact_match_condition(value, bank_id=user.bank_id, region=user_region(user))
            return list(visible.filter(condition)[:25]) if condition is not None else []

        if not raw():
            print(f"exact {label}: the sample value finds no customer; skipped")
            continue
        url = _search_url(client, list_url, f"q={value}")
        ms, p95, home_ms, ratio, p95_ratio = Paired(client, home, repeat)(lambda url=url: _page(client, url))
        list_ratios.append(ratio)
        list_p95_ratios.append(p95_ratio)
        _row(f"exact {label}: list page (x{ratio:.2f} home)", ms, p95, _queries(client, url), "<= 3x home", home_ms)
        ms, p95 = _times(raw, repeat)
        exact.append(ms)
        _row(f"exact {label}: raw queryset", ms, p95, target="<= 20 ms")

    # (c) the export and the same rows written by openpyxl alone, each in a fresh process; twice each,
    # in alternation (export, openpyxl, export, openpyxl), the faster of each pair counting: on a
    # shared machine a neighbour's burst would otherwise decide the ratio.
    exports, raws = [], []
    for _attempt in range(2):
        exports.append(_child("export", export_rows))
        raws.append(_child("export_baseline", export_rows))
    export_figures = min(exports, key=lambda figures: figures["seconds"])
    raw_figures = min(raws, key=lambda figures: figures["seconds"])
    export_ratio = export_figures["seconds"] / raw_figures["seconds"]
    print(
        f"\nXLSX export of {export_figures['rows']} rows: {export_figures['seconds']:.1f} s "
        f"(CPU {export_figures['cpu']:.1f} s), peak RSS of the child {max(f['child_peak_mb'] for f in exports):.0f} MB "
        f"(/usr/bin/time; its own VmHWM {export_figures['peak_mb']:.0f} MB, "
        f"after set-up {export_figures['baseline_mb']:.0f} MB), file {export_figures['file_mb']:.1f} MB; "
        f"openpyxl write-only, the same {raw_figures['rows']} rows from plain tuples: {raw_figures['seconds']:.1f} s "
        f"(CPU {raw_figures['cpu']:.1f} s) -> x{export_ratio:.2f} (CPU x{export_figures['cpu'] / raw_figures['cpu']:.2f}) "
        f"[targets <= 2x, <= 200 MB]; load average {_load()}"
    )
    targets.add("search_cn_vs_home_worst", max(cn_ratios), "x", "<=2")
    targets.add("list_vs_home_worst", max(list_ratios), "x", "<=3")
    targets.add("list_p95_vs_home_worst", max(list_p95_ratios), "x", "<=4")
    if exact:
        targets.add("exact_lookup_worst", max(exact), "ms", "<=20")
    targets.add("export_vs_openpyxl", export_ratio, "x", "<=2")
    targets.add("export_peak_rss", max(figures["child_peak_mb"] for figures in exports), "MB", "<=200")
    print(f"\nload average at the end: {_load()}")
    targets.print()
    _print_floor(cn_floors, variants, sql_alone)
    print(f"FLOOR customers.list_worst_design_vs_home value={list_floor} (goal <=3x)")
    _print_list_base(variants)


def _deferred_sections(client, paired, customer, manager):
    """The sections the 360 page defers (htmx loads each after it), all of them one after the other:
    not part of the page's goal, shown so that deferring them is seen for what it costs altogether."""
    deferred = [
        reverse("customers:section", args=[customer.number, section.key])
        for section in sorted(detail_sections._sections.values(), key=lambda section: section.order)
        if section.deferred and detail_sections.shown_to(section, customer, manager)
    ]
    if deferred:
        ms, p95, home_ms, ratio, _p95_ratio = paired(lambda: [_page(client, url) for url in deferred])
        queries = sum(_queries(client, url) for url in deferred)
        _row(f"  its {len(deferred)} deferred sections, all (x{ratio:.2f} home, no target)", ms, p95, queries, home=home_ms)


def _list_variants(label, client, paired, list_url, queries):
    """{query: (ratio, p95 ratio)} of the list page for each query, each row printed."""
    ratios = {}
    for query in queries:
        url = _search_url(client, list_url, query)
        ms, p95, home_ms, ratio, p95_ratio = paired(lambda url=url: _page(client, url))
        ratios[query] = (ratio, p95_ratio)
        _row(
            f"{label} list {query or '(no filter)'} (x{ratio:.2f} home)",
            ms,
            p95,
            _queries(client, url),
            "<= 3x home, p95 <= 4x",
            home_ms,
        )
    return ratios


def _sql_alone(client, url):
    """A function that sends the statements the page sends (recorded once, parameters in place), alone."""
    with CaptureQueriesContext(connection) as ctx:
        _page(client, url)
    statements = [query["sql"] for query in ctx.captured_queries]

    def run():
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description:
                    cursor.fetchall()

    return run


def _design_floor(variants, sql_alone, label, query):
    """The floor of a list page by design, as "<value>x (how)": the list page of the same user without a
    search or filter, plus what the page's own statements (run alone) add to those of that page, each
    against the same home page. A page cannot be faster than the list it draws and its own SQL."""
    base, base_sql, sql = variants[label, ""], sql_alone[label, ""], sql_alone[label, query]
    return (
        f"{base + sql - base_sql:.2f}x ({label} {query or '(no filter)'}: the list page without a search x{base:.2f}, "
        f"plus its SQL alone x{sql:.2f} less the unsearched page's x{base_sql:.2f}; the page itself x{variants[label, query]:.2f}"
        ")"
    )


def _worst_list_floor(variants, sql_alone, sessions, list_url):
    """The floor by design of the slowest list page (_design_floor), its SQL measured now."""
    label, query = max(variants, key=variants.get)
    if (label, query) not in sql_alone:
        client, paired = sessions[label]
        sql_alone[label, query] = paired(_sql_alone(client, _search_url(client, list_url, query)))[3]
    return _design_floor(variants, sql_alone, label, query)


def _print_floor(cn_floors, variants, sql_alone):
    """The floor of the worst Chinese search page, by design (_design_floor), next to its goal."""
    if cn_floors:
        _ratio, _floor, fragment, hits = max(cn_floors)
        floor = _design_floor(variants, sql_alone, "bank-wide (mm1)", f"q={fragment}")
        print(f"FLOOR customers.search_cn_design_vs_home value={floor} ({hits} hits; goal <=2x)")


def _print_list_base(variants):
    """The list page itself, without a filter or a search: what every search page renders around its
    rows. A search page's goal below it cannot be met by its SQL, however fast."""
    list_bases = {label: ratio for (label, query), ratio in variants.items() if not query}
    if not list_bases:
        return
    others = ", ".join(f"{label} x{ratio:.2f}" for label, ratio in list(list_bases.items())[1:])
    label, ratio = next(iter(list_bases.items()))
    print(
        f"FLOOR customers.list_without_search_vs_home value={ratio:.2f}x ({label}: the list page with no filter "
        f"and no search, which every search page renders; search_cn's goal is <=2x{'; ' + others if others else ''})"
    )


def _child(function, rows):
    """Run bench.customers.<function>(rows) in a fresh Python process; its last line of output (JSON),
    with `child_peak_mb`: the child's own peak resident memory as the kernel accounts it
    (ru_maxrss), read by /usr/bin/time -v, a small parent. Read from this process instead,
    RUSAGE_CHILDREN would report the size of this large parent: a child forked from it counts
    the parent's pages until it execs (236 MB printed where the export alone peaked at 181 MB)."""
    command = [sys.executable, "-c", f"import django; django.setup(); from bench.customers import {function}; {function}({rows})"]
    # Django is set up before this module's imports run in the child (the command line does it).
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        wrapped = [TIME, "-v", "-o", timing.name, *command] if os.access(TIME, os.X_OK) else [*_small_parent(), *command]
        result = subprocess.run(wrapped, capture_output=True, text=True, env=os.environ.copy(), check=True)
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        report = timing.read() if wrapped[0] == TIME else result.stderr
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    figures["child_peak_mb"] = int(match.group(1)) / 1024 if match else figures.get("peak_mb")
    return figures


TIME = "/usr/bin/time"


def _small_parent():
    """Without /usr/bin/time: a bare Python (no Django, a few MB) that runs the command and writes
    the child's ru_maxrss (RUSAGE_CHILDREN) to stderr as /usr/bin/time -v would."""
    script = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
        "sys.stderr.write('Maximum resident set size (kbytes): %d\\n' "
        "% resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    return [sys.executable, "-S", "-c", script]


def _peak_mb():
    """This process's own peak resident memory: VmHWM of its address space (made at exec, so none
    of the parent's pages count), a cross-check of the figure /usr/bin/time reads."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _export_queryset(rows):
    # Both banks: the medium size has fewer than 100k customers in one bank; scope does not change the cost.
    return (
        Customer.objects.active()
        .select_related("branch", "primary_manager")
        .only(*ROW_FIELDS)  # as the list's export reads them (CustomerListView.get_base_queryset)
        .prefetch_related(*list_prefetches())
        .order_by("-aum", "number")[:rows]
    )


def _export_request():
    request = RequestFactory().get("/customers/")
    request.user = Staff.objects.get(username="mm1")
    return request


def export(rows):
    """Runs in the subprocess: export `rows` customers as the bank-wide user would (masked)."""
    request = _export_request()
    queryset = _export_queryset(rows)
    baseline = _peak_mb()
    started, cpu = time.perf_counter(), time.process_time()
    handle, count = write_xlsx(table_rows(CustomerExportTable, queryset, request=request, exclude=("selection",)))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    handle.seek(0, os.SEEK_END)
    print(
        json.dumps(
            {
                "rows": count,
                "seconds": seconds,
                "cpu": cpu,
                "peak_mb": _peak_mb(),
                "baseline_mb": baseline,
                "file_mb": handle.tell() / 1e6,
            }
        )
    )


def export_baseline(rows):
    """Runs in the subprocess: the same rows (read and rendered first, untimed) written as plain
    tuples by openpyxl in write-only mode: the floor any XLSX export with openpyxl stands on."""
    request = _export_request()
    rendered = table_rows(CustomerExportTable, _export_queryset(rows), request=request, exclude=("selection",))
    data = [tuple(row) for row in rendered]
    started, cpu = time.perf_counter(), time.process_time()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("export")
    for row in data:
        sheet.append(row)
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"rows": len(data) - 1, "seconds": seconds, "cpu": cpu}))
