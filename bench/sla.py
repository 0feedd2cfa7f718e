"""The SLA clock: bulk due-time throughput (the nightly escalation scan over all open requests)
and the latency of one due time (a request page).

    .venv/bin/python -m bench.sla [--size small|medium|large]

Pure computation (no database): calendars for six receiving branches in London, New York,
Shanghai, Kolkata, Adelaide and Dubai with holidays and a lunch break in two of them; requests
created at random moments over a year with service times of 1-40 business hours. Small 100k
requests, medium 1M, large 5M. The baseline of the same run is a straightforward day-by-day
walk in the zone (what one would write without precomputed intervals), on a sample; the
bench checks that both give the same due times on that sample.
Targets (issue 17): bulk >= 100k due times per second; one due time <= 1 ms.
"""

import argparse
import datetime
import random
import time
from zoneinfo import ZoneInfo

from bench.targets import Targets
from crossborder.requests.clock import BusinessCalendar, to_ts

SIZES = {"small": 100_000, "medium": 1_000_000, "large": 5_000_000}
FIRST, LAST = datetime.date(2025, 12, 1), datetime.date(2027, 6, 30)
BRANCHES = [
    ("Europe/London", {datetime.date(2026, 4, 3), datetime.date(2026, 4, 6), datetime.date(2026, 12, 25)}, None),
    ("America/New_York", {datetime.date(2026, 7, 3), datetime.date(2026, 11, 26)}, None),
    ("Asia/Shanghai", {datetime.date(2026, 10, 1), datetime.date(2026, 10, 2)}, (datetime.time(12), datetime.time(13))),
    ("Asia/Kolkata", {datetime.date(2026, 10, 2)}, None),
    ("Australia/Adelaide", {datetime.date(2026, 10, 5)}, (datetime.time(12, 30), datetime.time(13, 30))),
    ("Asia/Dubai", set(), None),
]
OPEN, CLOSE = datetime.time(9), datetime.time(17)


def naive_due(zone, holidays, lunch, start_ts, seconds):
    """Day by day in the zone: the baseline."""
    tz = ZoneInfo(zone)
    local = datetime.datetime.fromtimestamp(start_ts, tz)
    day = local.date()
    left = seconds
    while True:
        if day.isoweekday() <= 5 and day not in holidays:
            pieces = [(OPEN, CLOSE)] if not lunch else [(OPEN, lunch[0]), (lunch[1], CLOSE)]
            for begin, end in pieces:
                a = int(datetime.datetime.combine(day, begin, tz).timestamp())
                b = int(datetime.datetime.combine(day, end, tz).timestamp())
                a = max(a, start_ts)
                if b <= a:
                    continue
                if b - a >= left:
                    return a + left
                left -= b - a
        day += datetime.timedelta(days=1)


def run(size="medium", repeat=None):
    count = SIZES.get(size, SIZES["medium"])
    rng = random.Random(17)
    began = time.perf_counter()
    calendars = [
        BusinessCalendar(zone, holidays=holidays, lunch=lunch, first_day=FIRST, last_day=LAST)
        for zone, holidays, lunch in BRANCHES
    ]
    build_seconds = time.perf_counter() - began
    year_start = to_ts(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    per_branch = [
        [(year_start + rng.randrange(365 * 86400), rng.randrange(1, 41) * 3600) for _ in range(count // len(calendars))]
        for _ in calendars
    ]
    total = sum(len(items) for items in per_branch)

    began = time.perf_counter()
    results = [calendar.due_many(items) for calendar, items in zip(calendars, per_branch, strict=True)]
    bulk_seconds = time.perf_counter() - began
    bulk_rate = total / bulk_seconds

    # Baseline on a sample; same answers.
    sample = 2000
    began = time.perf_counter()
    for (zone, holidays, lunch), items, got in zip(BRANCHES, per_branch, results, strict=True):
        for (start, seconds), due in zip(items[: sample // len(BRANCHES)], got, strict=False):
            assert naive_due(zone, holidays, lunch, start, seconds) == due, (zone, start, seconds)
    naive_rate = sample / (time.perf_counter() - began)

    london = calendars[0]
    start, seconds = per_branch[0][0]
    runs = 20000
    began = time.perf_counter()
    for _ in range(runs):
        london.due(start, seconds)
    single_ms = (time.perf_counter() - began) / runs * 1000

    print(f"sla: {len(calendars)} calendars built in {build_seconds * 1000:.1f} ms")
    print(f"sla: bulk {total} due times in {bulk_seconds:.2f} s = {bulk_rate:,.0f}/s (day-walk baseline {naive_rate:,.0f}/s)")
    print(f"sla: one due time {single_ms * 1000:.2f} µs")
    targets = Targets("sla")
    targets.add("bulk_due_times_per_second", bulk_rate, "/s", ">=100000")
    targets.add("bulk_vs_day_walk", bulk_rate / naive_rate, "x", ">=1")
    targets.add("single_due_time", single_ms, "ms", "<=1")
    targets.print()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.sla")
    parser.add_argument("--size", choices=list(SIZES), default="medium")
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args()
    run(size=args.size, repeat=args.repeat)
