"""Channel API under load (issue 16): N concurrent signed clients for a bounded time over the
customer look-up and the customer summary, against gunicorn on 127.0.0.1 (3 workers, as `make run`).

Each client is a thread with its own registered channel client (counter kind, no rate limit in the
way) signing every call with tests/workbench/channelapi/client.py's SigningClient. The baseline of
the same run is `whoami` (signature check, audit row, no customer) under the same load.

Printed: per endpoint requests, errors, p50, p95, req/s. Targets: p95 <= 50 ms for look-up and
summary, no errors.

    python -m bench --suite api --size medium     (API_CLIENTS=8, API_SECONDS=30, API_CUSTOMERS override)
"""

import os
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.customers import ensure_data
from bench.load import free_port, start_web
from bench.targets import Targets
from customers.master.models import Customer
from sysadmin.org.models import Bank
from tests.workbench.channelapi.client import SigningClient
from workbench.channelapi import credentials
from workbench.channelapi.models import ChannelClient

GOAL_P95_MS = 50
WARM_UP_SECONDS = 5


def _clients(bank, count):
    ChannelClient.objects.filter(bank=bank, name__startswith="bench-api-").delete()
    return [
        credentials.register(bank, f"bench-api-{n}", ChannelClient.Kind.COUNTER, requests_per_minute=10_000_000)
        for n in range(count)
    ]


def _calls(api, numbers, endpoint):
    number = random.choice(numbers)
    if endpoint == "lookup":
        return api.post(
            "/api/v1/channel/customers/lookup", {"customer_number": number}, idempotency_key=f"b-{time.monotonic_ns()}"
        )
    if endpoint == "summary":
        return api.get(f"/api/v1/channel/customers/{number}/summary")
    return api.get("/api/v1/channel/whoami")


def _drive(port, credentials_list, numbers, endpoint, seconds):
    """Every client in a loop on `endpoint` for `seconds`: ([ms], errors, requests)."""
    times, errors = [], []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker(pair):
        client, secret = pair
        api = SigningClient(f"http://127.0.0.1:{port}", client.key_id, secret)
        mine, failed = [], 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                status, _body, _headers = _calls(api, numbers, endpoint)
            except OSError:
                status = 0
            mine.append((time.perf_counter() - started) * 1000)
            failed += status != 200
        with lock:
            times.extend(mine)
            errors.append(failed)

    with ThreadPoolExecutor(max_workers=len(credentials_list)) as pool:
        list(pool.map(worker, credentials_list))
    return times, sum(errors), len(times)


def _p(values, share):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def run(size, repeat=None):
    clients = int(os.environ.get("API_CLIENTS", "8"))
    seconds = int(os.environ.get("API_SECONDS", "30"))
    # API_CUSTOMERS: a smaller generated book for a quick run (the look-ups touch 2000 customers at most).
    ensure_data(size, count=int(os.environ["API_CUSTOMERS"]) if os.environ.get("API_CUSTOMERS") else None)
    bank = Bank.objects.get(code="OGB")
    numbers = list(Customer.objects.filter(bank=bank).order_by("?").values_list("number", flat=True)[:2000])
    pairs = _clients(bank, clients)
    port = free_port()
    web = start_web(port)
    targets = Targets("api")
    try:
        _drive(port, pairs, numbers, "whoami", WARM_UP_SECONDS)  # workers import and warm their caches
        print(f"{clients} signed clients, {seconds} s per endpoint, {len(numbers)} customers of {bank.code}")
        print(f"{'endpoint':<10}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>8}")
        results = {}
        for endpoint in ("whoami", "lookup", "summary"):
            times, errors, requests = _drive(port, pairs, numbers, endpoint, seconds)
            results[endpoint] = (times, errors, requests)
            print(
                f"{endpoint:<10}{requests:>10}{errors:>8}{statistics.median(times):>9.1f}{_p(times, 0.95):>9.1f}"
                f"{requests / seconds:>8.1f}"
            )
        baseline = _p(results["whoami"][0], 0.95)
        for endpoint in ("lookup", "summary"):
            times, errors, requests = results[endpoint]
            print(f"{endpoint}: p95 {_p(times, 0.95) / baseline:.2f}x the whoami baseline's")
            targets.add(f"{endpoint}_p95", _p(times, 0.95), "ms", f"<={GOAL_P95_MS}")
            targets.add(f"{endpoint}_errors", errors, "", "<=0")
            targets.add(f"{endpoint}_rps", requests / seconds, "/s", ">0")
    finally:
        web.terminate()
        web.wait(timeout=30)
        ChannelClient.objects.filter(bank=bank, name__startswith="bench-api-").delete()
    targets.print()
