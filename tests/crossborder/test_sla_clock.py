"""The SLA clock against its reference table (tests/crossborder/sla_reference.json, written by
an independent minute-walking oracle: make_sla_reference.py) and a few cases worked by hand."""

import datetime
import json
import pathlib
import time

import pytest

from crossborder.requests.clock import BusinessCalendar, parse_lunch, to_ts

CASES = json.loads(pathlib.Path(__file__).with_name("sla_reference.json").read_text())


def calendar_for(zone, week="12345", holidays=(), lunch=""):
    return BusinessCalendar(
        zone,
        working_week=week,
        holidays={datetime.date.fromisoformat(d) for d in holidays},
        lunch=parse_lunch(lunch),
        first_day=datetime.date(2025, 12, 1),
        last_day=datetime.date(2027, 2, 1),
    )


def test_reference_table_is_big_and_covers_the_hard_cases():
    assert len(CASES) >= 200
    zones = {case["zone"] for case in CASES}
    assert {"Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Adelaide"} <= zones
    assert any(case["lunch"] for case in CASES)
    # Spill-over: a good share ends on a later local day than it starts.
    assert sum(case["due_local"][:10] != case["start_local"][:10] for case in CASES) >= 50


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['zone']}-{c['start_local']}-{c['hours']}h-{c['lunch']}")
def test_reference_case(case):
    calendar = calendar_for(case["zone"], case["working_week"], case["holidays"], case["lunch"])
    start = datetime.datetime.fromisoformat(case["start_utc"])
    expected = datetime.datetime.fromisoformat(case["due_utc"])
    assert calendar.due(to_ts(start), int(case["hours"] * 3600)) == to_ts(expected)


def test_bulk_agrees_with_single_calls():
    calendar = calendar_for("Europe/London", holidays=CASES[0]["holidays"])
    items = [(to_ts(datetime.datetime.fromisoformat(c["start_utc"])), int(c["hours"] * 3600)) for c in CASES]
    assert calendar.due_many(items) == [calendar.due(s, h) for s, h in items]


def test_hand_worked_cases():
    london = calendar_for("Europe/London", holidays=["2026-04-03", "2026-04-06"])
    utc = datetime.UTC
    # Friday 16:00 BST + 2h -> Tuesday 10:00 BST (Good Friday and Easter Monday are holidays,
    # so Thursday 2 April 16:00 + 2h ends Tuesday 7 April 10:00).
    start = datetime.datetime(2026, 4, 2, 15, 0, tzinfo=utc)  # 16:00 BST
    assert london.due(to_ts(start), 2 * 3600) == to_ts(datetime.datetime(2026, 4, 7, 9, 0, tzinfo=utc))
    # Created Saturday night: the clock starts Monday 09:00; 8h -> Monday 17:00 (closing stays closing).
    start = datetime.datetime(2026, 1, 10, 22, 0, tzinfo=utc)
    assert london.due(to_ts(start), 8 * 3600) == to_ts(datetime.datetime(2026, 1, 12, 17, 0, tzinfo=utc))
    # Kolkata (+05:30): Monday 08:00 local + 1h -> 10:00 local = 04:30 UTC.
    kolkata = calendar_for("Asia/Kolkata")
    start = datetime.datetime(2026, 5, 11, 2, 30, tzinfo=utc)
    assert kolkata.due(to_ts(start), 3600) == to_ts(datetime.datetime(2026, 5, 11, 4, 30, tzinfo=utc))
    # Lunch break: 11:30 + 1h with 12-13 lunch -> 13:30.
    shanghai = calendar_for("Asia/Shanghai", lunch="12:00-13:00")
    start = datetime.datetime(2026, 6, 10, 3, 30, tzinfo=utc)  # 11:30 CST
    assert shanghai.due(to_ts(start), 3600) == to_ts(datetime.datetime(2026, 6, 10, 5, 30, tzinfo=utc))


def test_business_seconds_remaining():
    london = calendar_for("Europe/London")
    monday_10 = to_ts(datetime.datetime(2026, 1, 12, 10, 0, tzinfo=datetime.UTC))
    due = london.due(monday_10, 16 * 3600)  # 7h Monday + 8h Tuesday + 1h Wednesday
    assert due == to_ts(datetime.datetime(2026, 1, 14, 10, 0, tzinfo=datetime.UTC))
    assert london.business_seconds_between(monday_10, due) == 16 * 3600


def test_single_call_is_under_a_millisecond():
    london = calendar_for("Europe/London")
    start = to_ts(datetime.datetime(2026, 3, 27, 15, 0, tzinfo=datetime.UTC))
    runs = 2000
    began = time.perf_counter()
    for _ in range(runs):
        london.due(start, 24 * 3600)
    assert (time.perf_counter() - began) / runs < 0.001
