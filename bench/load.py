"""Load: 50 customer managers at once on the demo bank, for two minutes (issue 11).

The suite starts the web tier as `make run` does (gunicorn, 3 workers, on 127.0.0.1 only),
and locust (bench/locustfile.py, headless) logs in 50 of the demo's customer managers who
then mix the customer list, name searches, 360 pages and XLSX exports of their own book,
with a person's pause between clicks. A 20-second warm-up comes first and is not counted
(the workers import and fill their caches); the measured run starts counting once all 50
are logged in again. The web workers' resident memory is read after the warm-up and at the end.

Printed: per page the request count, failures, p50 and p95; p50 against the home page's
under the same load (the baseline of this run). Targets: no failed request, the workers'
memory grows by at most 10 %, and our own page goals under load: p95 <= 1 s for the list,
search and 360 pages, <= 3 s for an export.

    python -m bench --suite load --size medium        (LOAD_SECONDS / LOAD_USERS override)
"""

import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from django.conf import settings
from django.db.models import Count

from bench.customers import ensure_data
from bench.targets import Targets
from customers.master.models import Customer
from sysadmin.demo import DEMO_PASSWORD
from sysadmin.org.models import Staff

BIN = Path(sys.executable).parent
PAGES = ["list", "search", "360", "export"]
PAGE_GOAL_MS = {"list": 1000, "search": 1000, "360": 1000, "export": 3000}
WARM_UP_SECONDS = 20


def people(count):
    """The `count` customer managers with the largest books, each with up to 200 of their
    customers and name fragments that occur in their book."""
    managers = list(
        Staff.objects.filter(groups__name="customer_manager", is_active=True)
        .annotate(book=Count("managed_customers"))
        .filter(book__gt=0)
        .order_by("-book")[:count]
    )
    Staff.objects.filter(pk__in=[m.pk for m in managers]).update(must_change_password=False)
    chosen = []
    for manager in managers:
        names = list(Customer.objects.filter(primary_manager=manager).order_by("?").values_list("number", "name_local")[:200])
        chosen.append(
            {
                "username": manager.username,
                "password": DEMO_PASSWORD,
                "customers": [number for number, _name in names],
                "fragments": sorted({name[:2] for _number, name in names if name and len(name) >= 2})[:20] or ["王"],
            }
        )
    return chosen


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(port):
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "0"}
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "ocrm.wsgi", "-b", f"127.0.0.1:{port}", "-w", "3", "--graceful-timeout", "5"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return web
        except OSError:
            time.sleep(0.5)
    web.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def workers_rss(web):
    return sum(child.memory_info().rss for child in psutil.Process(web.pid).children())


def locust(port, users, seconds, users_file, csv_prefix=None):
    command = [
        str(BIN / "locust"),
        "-f",
        str(Path(__file__).with_name("locustfile.py")),
        "--headless",
        "--only-summary",
        "-u",
        str(users),
        "-r",
        str(max(1, users // 5)),
        "-t",
        f"{seconds}s",
        "--host",
        f"http://127.0.0.1:{port}",
        "--loglevel",
        "WARNING",
    ]
    if csv_prefix:
        # The people log in again while locust spawns them; counting starts once all are in.
        command += ["--csv", csv_prefix, "--reset-stats"]
    env = {**os.environ, "LOAD_USERS_FILE": users_file}
    # locust exits 1 when any request failed: the figures below say which, so only a crash stops the suite.
    finished = subprocess.run(command, env=env, capture_output=True, text=True)
    if finished.returncode not in (0, 1):
        raise RuntimeError(f"locust failed: {finished.stderr[-2000:]}")


def read_stats(csv_prefix):
    with open(f"{csv_prefix}_stats.csv", encoding="utf-8") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def run(size, repeat=None):
    users = int(os.environ.get("LOAD_USERS", "50"))
    seconds = int(os.environ.get("LOAD_SECONDS", "120"))
    ensure_data(size)
    chosen = people(users)
    print(f"load: {users} users over {len(chosen)} customer managers' books, {seconds} s after a {WARM_UP_SECONDS} s warm-up")
    with tempfile.TemporaryDirectory() as work:
        users_file = os.path.join(work, "users.json")
        Path(users_file).write_text(json.dumps(chosen, ensure_ascii=False), encoding="utf-8")
        port = free_port()
        web = start_web(port)
        try:
            locust(port, users, WARM_UP_SECONDS, users_file)
            rss_before = workers_rss(web)
            locust(port, users, seconds, users_file, csv_prefix=os.path.join(work, "load"))
            rss_after = workers_rss(web)
        finally:
            web.terminate()
            web.wait(timeout=30)
        stats = read_stats(os.path.join(work, "load"))

    targets = Targets("load")
    home_p50 = float(stats["home"]["50%"]) if "home" in stats else None
    print(f"{'page':<10}{'requests':>10}{'failures':>10}{'p50 ms':>10}{'p95 ms':>10}{'p50/home':>10}")
    for name in ["home", *PAGES, "log-in"]:
        row = stats.get(name)
        if row is None:
            continue
        p50, p95 = float(row["50%"]), float(row["95%"])
        ratio = f"{p50 / home_p50:.1f}x" if home_p50 else "-"
        print(f"{name:<10}{row['Request Count']:>10}{row['Failure Count']:>10}{p50:>10.0f}{p95:>10.0f}{ratio:>10}")
        if name in PAGE_GOAL_MS:
            targets.add(f"p95_{name}", p95, "ms", f"<={PAGE_GOAL_MS[name]}")
    total = stats["Aggregated"]
    print(f"all: {total['Request Count']} requests, {float(total['Requests/s']):.1f}/s, {total['Failure Count']} failed")
    growth = (rss_after - rss_before) / rss_before * 100
    print(f"web workers' memory: {rss_before / 2**20:.0f} MB after the warm-up, {rss_after / 2**20:.0f} MB at the end")
    targets.add("errors", float(total["Failure Count"]), "", "<=0")
    targets.add("memory_growth", growth, "%", "<=10")
    targets.print()
