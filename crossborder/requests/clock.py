"""The SLA clock: business time in the receiving branch's hours.

A BusinessCalendar precomputes the branch's opening intervals (in UTC epoch seconds) over a
horizon, with the business seconds elapsed before each one. A due time is then two binary
searches and a few additions: the offset of the start in business seconds, plus the service
time, mapped back to the interval that holds it. No per-minute walking, no time-zone work per
call: the zone (daylight saving included), the working week, holidays and the optional lunch
break are all in the intervals. That is what makes the bulk scan (every open request each
night) and the single call on a page cheap.

A start outside business hours counts from the next opening (its offset is the elapsed business
time up to there). A due time that lands exactly on a closing time stays at the closing time.
"""

import datetime
from bisect import bisect_left, bisect_right
from zoneinfo import ZoneInfo

DEFAULT_OPENING = datetime.time(9, 0)
DEFAULT_CLOSING = datetime.time(17, 0)
# Days the calendar covers either side of the reference date unless told otherwise.
DEFAULT_DAYS_BEFORE = 60
DEFAULT_DAYS_AFTER = 400


def parse_hhmm(text):
    hours, minutes = (int(part) for part in text.strip().split(":"))
    return datetime.time(hours, minutes)


def parse_lunch(text):
    """'12:00-13:00' -> (time, time); '' -> None."""
    text = (text or "").strip()
    if not text:
        return None
    start, end = text.split("-")
    start, end = parse_hhmm(start), parse_hhmm(end)
    if end <= start:
        raise ValueError("lunch break ends before it starts")
    return start, end


class BusinessCalendar:
    """The opening intervals of one branch from `first_day` to `last_day` (local dates)."""

    __slots__ = ("zone", "starts", "ends", "cum_before", "cum_after", "first_day", "last_day")

    def __init__(
        self,
        zone,
        *,
        working_week="12345",
        holidays=(),
        opening=DEFAULT_OPENING,
        closing=DEFAULT_CLOSING,
        lunch=None,
        first_day,
        last_day,
    ):
        self.zone = ZoneInfo(zone) if isinstance(zone, str) else zone
        self.first_day, self.last_day = first_day, last_day
        holidays = set(holidays)
        pieces = [(opening, closing)]
        if lunch:
            pieces = [(opening, max(opening, lunch[0])), (min(closing, lunch[1]), closing)]
        starts, ends, cum_before, cum_after = [], [], [], []
        total = 0
        day = first_day
        one_day = datetime.timedelta(days=1)
        while day <= last_day:
            if str(day.isoweekday()) in working_week and day not in holidays:
                for begin, end in pieces:
                    # fold=0: a wall time that happens twice (autumn) is its first occurrence;
                    # one that never happens (spring) is shifted forward, as people read it.
                    start_ts = int(datetime.datetime.combine(day, begin, self.zone).timestamp())
                    end_ts = int(datetime.datetime.combine(day, end, self.zone).timestamp())
                    if end_ts <= start_ts:
                        continue
                    starts.append(start_ts)
                    ends.append(end_ts)
                    cum_before.append(total)
                    total += end_ts - start_ts
                    cum_after.append(total)
            day += one_day
        self.starts, self.ends, self.cum_before, self.cum_after = starts, ends, cum_before, cum_after

    def offset(self, ts):
        """Business seconds from the calendar's beginning to epoch second `ts`."""
        i = bisect_right(self.starts, ts) - 1
        if i < 0:
            return 0
        end = self.ends[i]
        return self.cum_before[i] + (ts if ts < end else end) - self.starts[i]

    def at_offset(self, business_seconds):
        """The epoch second at which `business_seconds` of business time have passed."""
        j = bisect_left(self.cum_after, business_seconds)
        if j >= len(self.starts):
            raise ValueError("beyond the calendar's horizon")
        return self.starts[j] + business_seconds - self.cum_before[j]

    def due(self, start_ts, service_seconds):
        """Epoch second at which `service_seconds` of business time from `start_ts` are used."""
        return self.at_offset(self.offset(start_ts) + service_seconds)

    def due_many(self, items):
        """[(start_ts, service_seconds)] -> [due_ts]: the bulk scan, one loop, locals bound."""
        starts, ends, cum_before, cum_after = self.starts, self.ends, self.cum_before, self.cum_after
        limit = len(starts)
        out = []
        append = out.append
        for start_ts, seconds in items:
            i = bisect_right(starts, start_ts) - 1
            if i < 0:
                target = seconds
            else:
                end = ends[i]
                target = cum_before[i] + (start_ts if start_ts < end else end) - starts[i] + seconds
            j = bisect_left(cum_after, target)
            if j >= limit:
                raise ValueError("beyond the calendar's horizon")
            append(starts[j] + target - cum_before[j])
        return out

    def business_seconds_between(self, from_ts, to_ts):
        """Business seconds from `from_ts` to `to_ts` (negative when `to_ts` is earlier)."""
        return self.offset(to_ts) - self.offset(from_ts)

    def is_open(self, ts):
        i = bisect_right(self.starts, ts) - 1
        return i >= 0 and ts < self.ends[i]

    def next_opening(self, ts):
        """ts itself when open, else the next interval's start."""
        if self.is_open(ts):
            return ts
        i = bisect_right(self.starts, ts)
        if i >= len(self.starts):
            raise ValueError("beyond the calendar's horizon")
        return self.starts[i]


def to_ts(moment):
    return int(moment.timestamp())


def from_ts(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.UTC)
