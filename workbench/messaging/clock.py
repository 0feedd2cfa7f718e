"""A colleague's local time now and whether they are at work: their own zone for the clock; their
branch's zone, working week (sysadmin Branch.working_week), holidays (Branch.is_working_day) and
the bank's `messaging.working_hours` for "at work"."""

import dataclasses
import datetime
import re
import zoneinfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm import parameters

HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
DEFAULT_HOURS = (datetime.time(9), datetime.time(18))


@dataclasses.dataclass(frozen=True)
class LocalStatus:
    zone: str
    now: datetime.datetime  # aware, in the colleague's zone
    working: bool
    reason: str  # "working", "before", "after", "weekend", "holiday", "unknown"
    hours: tuple

    @property
    def label(self):
        return REASONS[self.reason]

    @property
    def utc_offset(self):
        offset = self.now.utcoffset() or datetime.timedelta()
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


REASONS = {
    "working": _("at work"),
    "before": _("not at work yet"),
    "after": _("after working hours"),
    "weekend": _("not a working day"),
    "holiday": _("public holiday"),
    "unknown": _("working hours unknown"),
}


def parse_hours(text):
    """(start, end) times of "09:00-18:00"; the default for anything unreadable."""
    match = HOURS.match(str(text or ""))
    if not match:
        return DEFAULT_HOURS
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        start, end = datetime.time(h1, m1), datetime.time(h2, m2)
    except ValueError:
        return DEFAULT_HOURS
    return (start, end) if start < end else DEFAULT_HOURS


def _zone(name):
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_status(staff, now=None):
    """Where `staff` stands now: their local time, and whether their branch is at work."""
    now = now or timezone.now()
    local_now = now.astimezone(_zone(staff.effective_timezone))
    branch = staff.branch if staff.branch_id else None
    hours = parse_hours(parameters.get("messaging.working_hours", staff.bank_id))
    if branch is None:
        return LocalStatus(staff.effective_timezone, local_now, False, "unknown", hours)
    branch_now = now.astimezone(_zone(branch.timezone))
    day = branch_now.date()
    if str(day.isoweekday()) not in branch.working_week:
        reason = "weekend"
    elif not branch.is_working_day(day):
        reason = "holiday"
    elif branch_now.time() < hours[0]:
        reason = "before"
    elif branch_now.time() >= hours[1]:
        reason = "after"
    else:
        reason = "working"
    return LocalStatus(staff.effective_timezone, local_now, reason == "working", reason, hours)
