"""What the manager's desk gathers from every area, without importing them: areas of the
workbench and of the apps beside it (marketing, crossborder) register in AppConfig.ready().

- today sources: what needs this person now (the list at the top of the dashboard)
- calendar sources: what has a time in a person's diary (the calendar views and the iCal feed)
- activity sources: what a person did in a period (the draft of a daily or weekly work report)

Each function must issue a fixed number of queries whatever the data size, and only return
rows the viewing user may see.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TodayAction:
    """A button of a today item. asks_reason: posted with a short reason that is kept (snooze,
    dismiss); method "get": a link to a page that asks for more (e.g. until when)."""

    label: str
    url: str
    asks_reason: bool = False
    method: str = "post"


@dataclass(frozen=True)
class TodayItem:
    kind: str  # the source's key
    title: str
    url: str = ""
    when: object = None  # an aware datetime (due, starts) or None
    overdue: bool = False
    customer_label: str = ""  # masked as the viewer may see it
    # The item's own buttons (TodayAction); without any, the dashboard offers its generic snooze and
    # dismiss with a reason (workbench.dashboard).
    actions: tuple = ()

    @property
    def direct_actions(self):
        return tuple(a for a in self.actions if not a.asks_reason)

    @property
    def reason_actions(self):
        return tuple(a for a in self.actions if a.asks_reason)


@dataclass(frozen=True)
class CalendarEvent:
    kind: str
    title: str
    start: object  # aware datetime
    end: object = None
    all_day: bool = False
    url: str = ""
    customer_label: str = ""
    uid: str = ""  # stable across feeds: "<kind>-<pk>@<bank code>"
    location: str = ""  # never a customer's address (the iCal feed carries it)
    hide: tuple = ()  # clear personal texts (a customer's names) the iCal feed must not carry
    ref: object = None  # the source's own key (an appointment's pk: the calendar's move buttons)


@dataclass(frozen=True)
class ActivityLine:
    kind: str
    label: str
    count: int
    details: list = field(default_factory=list)  # [str] shown under the line


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    function: object
    order: int = 100
    perm: str | None = None


_today, _calendar, _activity = {}, {}, {}


def register_today(key, label, items, order=100, perm=None):
    """items(user, now) -> [TodayItem] for this person."""
    _today[key] = Source(key, label, items, order, perm)


def register_calendar(key, label, events, order=100, perm=None):
    """events(viewer, owner, start, end) -> [CalendarEvent] of owner's diary between two instants."""
    _calendar[key] = Source(key, label, events, order, perm)


def register_activity(key, label, lines, order=100, perm=None):
    """lines(person, start, end) -> [ActivityLine] of what the person did between two instants."""
    _activity[key] = Source(key, label, lines, order, perm)


def _sources(registry, user):
    return [s for s in sorted(registry.values(), key=lambda s: s.order) if not s.perm or user.has_perm(s.perm)]


def today_sources(user):
    return _sources(_today, user)


def calendar_sources(user):
    return _sources(_calendar, user)


def activity_sources(user):
    return _sources(_activity, user)
