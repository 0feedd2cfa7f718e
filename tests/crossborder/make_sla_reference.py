"""Writes sla_reference.json: the SLA clock's reference table, computed by an independent
oracle that walks business time minute by minute in the zone (no intervals, no bisect).

    .venv/bin/python tests/crossborder/make_sla_reference.py

Cases: starts before, inside, after hours and at weekends, across holidays, across the
daylight-saving changes of London (29 Mar / 25 Oct 2026) and New York (8 Mar / 1 Nov 2026),
in the half-hour zones Asia/Kolkata and Australia/Adelaide (whose own changes are 5 Apr /
4 Oct 2026), with and without a lunch break.
"""

import datetime
import json
import pathlib
import random
from zoneinfo import ZoneInfo

UTC = datetime.UTC
OUT = pathlib.Path(__file__).with_name("sla_reference.json")

ZONES = {
    "Europe/London": {"holidays": ["2026-04-03", "2026-04-06", "2026-12-25", "2026-12-28"], "week": "12345"},
    "America/New_York": {"holidays": ["2026-07-03", "2026-11-26", "2026-12-25"], "week": "12345"},
    "Asia/Shanghai": {"holidays": ["2026-10-01", "2026-10-02", "2026-10-05"], "week": "12345"},
    "Asia/Kolkata": {"holidays": ["2026-10-02", "2026-11-09"], "week": "123456"},
    "Australia/Adelaide": {"holidays": ["2026-10-05", "2026-12-25", "2026-12-28"], "week": "12345"},
    "Asia/Dubai": {"holidays": ["2026-12-02"], "week": "12345"},
}
# Local dates whose neighbourhood each zone must be tested around (DST, holidays, weekends).
AROUND = {
    "Europe/London": ["2026-03-27", "2026-03-29", "2026-10-23", "2026-10-25", "2026-04-02", "2026-12-24"],
    "America/New_York": ["2026-03-06", "2026-03-08", "2026-10-30", "2026-11-01", "2026-07-02", "2026-11-25"],
    "Asia/Shanghai": ["2026-09-30", "2026-06-12", "2026-01-09"],
    "Asia/Kolkata": ["2026-10-01", "2026-11-07", "2026-05-15"],
    "Australia/Adelaide": ["2026-04-03", "2026-04-05", "2026-10-02", "2026-10-04", "2026-12-24"],
    "Asia/Dubai": ["2026-12-01", "2026-08-14"],
}
LUNCH_OPTIONS = [None, ("12:00", "13:00")]
HOURS = [0.5, 1, 3, 4, 8, 9, 16, 24, 40]
LOCAL_TIMES = ["00:00", "06:30", "08:59", "09:00", "11:45", "12:30", "16:59", "17:00", "19:15", "23:59"]


def hhmm(text):
    h, m = text.split(":")
    return datetime.time(int(h), int(m))


def oracle_due(zone, week, holidays, lunch, start_utc, minutes):
    """Walk minute by minute in UTC; a minute counts when its local start is in business hours."""
    tz = ZoneInfo(zone)
    opening, closing = datetime.time(9), datetime.time(17)
    lunch = (hhmm(lunch[0]), hhmm(lunch[1])) if lunch else None
    t = start_utc.replace(second=0, microsecond=0)
    if t < start_utc:
        t += datetime.timedelta(minutes=1)
    counted = 0
    step = datetime.timedelta(minutes=1)
    while True:
        local = t.astimezone(tz)
        clock = local.time()
        works = str(local.isoweekday()) in week and local.date().isoformat() not in holidays
        if works and opening <= clock < closing and not (lunch and lunch[0] <= clock < lunch[1]):
            counted += 1
            if counted == minutes:
                return t + step
        t += step


def main():
    rng = random.Random(17)
    cases = []
    for zone, spec in ZONES.items():
        tz = ZoneInfo(zone)
        for day_text in AROUND[zone]:
            day = datetime.date.fromisoformat(day_text)
            for local_time in rng.sample(LOCAL_TIMES, 9):
                local = datetime.datetime.combine(day, hhmm(local_time), tz)
                start = local.astimezone(UTC)
                hours = rng.choice(HOURS)
                lunch = rng.choice(LUNCH_OPTIONS)
                due = oracle_due(zone, spec["week"], spec["holidays"], lunch, start, int(hours * 60))
                cases.append(
                    {
                        "zone": zone,
                        "working_week": spec["week"],
                        "holidays": spec["holidays"],
                        "lunch": "-".join(lunch) if lunch else "",
                        "start_utc": start.isoformat(),
                        "start_local": local.isoformat(),
                        "hours": hours,
                        "due_utc": due.isoformat(),
                        "due_local": due.astimezone(tz).isoformat(),
                    }
                )
    OUT.write_text(json.dumps(cases, indent=1) + "\n")
    print(len(cases), "cases written to", OUT)


if __name__ == "__main__":
    main()
