"""Cross-border statistics (跨境服务的统计分析): the requests the user may see (either side, by
scope), submitted in a period, grouped by one dimension — partner bank and direction, corridor by
country (requesting country → receiving country), corridor by branch, service type or status:
how many, by outcome, completed within the service time (SLA met) or late, open past their due
time, the average business hours to complete (in the receiving branch's calendar, as the SLA clock
counts them), the fees booked per currency and the revenue shared on the profit statements per
side. A fixed number of queries whatever the number of requests; the rows feed the page, its
charts, its drill-down links and its XLSX."""

import datetime

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from crossborder.requests.clock import to_ts
from crossborder.requests.models import CrossBorderRequest, ServiceType
from crossborder.requests.services import calendars_for
from sysadmin.org.models import Bank, Branch

S = CrossBorderRequest.Status
OPEN_STATUSES = (S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS, S.WAITING)
REQUEST_REFERENCE = "crossborder-request:"  # the revenue event of a request's fee (profitsharing)

# dimension -> the request fields it groups by
GROUPS = {
    "partner": ("bank_id", "to_bank_id"),
    "country": ("from_branch__country", "to_branch__country"),
    "branch": ("from_branch_id", "to_branch_id"),
    "service": ("service_type_id",),
    "status": ("status",),
}
GROUP_CHOICES = [
    ("partner", _("Partner bank and direction")),
    ("country", _("Corridor by country")),
    ("branch", _("Corridor by branch")),
    ("service", _("Service type")),
    ("status", _("Status")),
]
COUNTS = ("total", "open", "overdue", "completed", "declined", "cancelled", "sla_met")


def period_bounds(date_from, date_to, zone=None):
    """[start, end) aware datetimes of the days from..to in the zone (the user's)."""
    zone = zone or timezone.get_current_timezone()
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return start, end


def requests_in(user, date_from, date_to):
    start, end = period_bounds(date_from, date_to)
    return CrossBorderRequest.objects.visible_to(user).filter(submitted_at__gte=start, submitted_at__lt=end)


def summarize(user, date_from, date_to, group="partner", *, with_revenue=False, now=None):
    """[{key, label, drill (query parameters of the requests list), total, open, overdue, completed,
    declined, cancelled, sla_met, sla_missed, sla_met_pct, avg_business_hours, fees: {currency:
    minor}, shared: {currency: {"originating": minor, "servicing": minor}}}], the largest first.
    `shared` is filled only `with_revenue` (the user may read profit statements)."""
    now = now or timezone.now()
    fields = GROUPS[group]
    requests = requests_in(user, date_from, date_to)
    completed = Q(status=S.COMPLETED)
    counts = (
        requests.values(*fields)
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_at__lt=now)),
            completed=Count("id", filter=completed),
            declined=Count("id", filter=Q(status=S.DECLINED)),
            cancelled=Count("id", filter=Q(status=S.CANCELLED)),
            sla_met=Count("id", filter=completed & Q(closed_at__lte=F("due_at"))),
        )
        .order_by()
    )
    rows = {}

    def entry(raw):
        key = _key(group, raw, fields, user.bank_id)
        return rows.setdefault(key, {"key": key, **dict.fromkeys(COUNTS, 0), "fees": {}, "shared": {}, "_hours": []})

    for raw in counts:
        item = entry(raw)
        for name in COUNTS:
            item[name] += raw[name]
    fees = (
        requests.filter(completed, fee_amount_minor__gt=0)
        .values(*fields, "fee_currency")
        .annotate(amount=Sum("fee_amount_minor"))
        .order_by()
    )
    for raw in fees:
        item = entry(raw)["fees"]
        item[raw["fee_currency"]] = item.get(raw["fee_currency"], 0) + int(raw["amount"])
    done = list(
        requests.filter(completed, closed_at__isnull=False).values("id", "to_branch_id", "submitted_at", "closed_at", *fields)
    )
    _business_hours(done, entry)
    if with_revenue and done:
        _revenue_shared(done, entry)
    result = []
    for item in rows.values():
        hours = item.pop("_hours")
        item["sla_missed"] = item["completed"] - item["sla_met"]
        item["sla_met_pct"] = _pct(item["sla_met"], item["completed"])
        item["business_seconds"], item["timed"] = sum(hours), len(hours)
        item["avg_business_hours"] = _hours(item["business_seconds"], item["timed"])
        result.append(item)
    _label(group, result, user.bank_id)
    result.sort(key=lambda r: (-r["total"], r["label"]))
    return result


def _hours(seconds, count):
    return round(seconds / count / 3600, 1) if count else None


def _pct(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _key(group, raw, fields, own):
    if group == "partner":
        return _partner_key(raw, own)
    return tuple(raw[name] for name in fields)


def _partner_key(row, own):
    """(partner bank id, direction) from the user's bank's point of view; inside one bank: the
    bank itself, "within"."""
    if row["bank_id"] == row["to_bank_id"]:
        return row["bank_id"], "within"
    if row["bank_id"] == own:
        return row["to_bank_id"], "sent"
    if row["to_bank_id"] == own:
        return row["bank_id"], "received"
    return row["to_bank_id"], "sent"  # a superuser's view: from the requesting bank's side


def _business_hours(done, entry):
    """Business seconds from submission to completion of each completed request, in its receiving
    branch's calendar (the SLA clock's), one calendar per receiving branch over the span needed."""
    spans = {}
    for row in done:
        low, high = spans.get(row["to_branch_id"], (row["submitted_at"], row["closed_at"]))
        spans[row["to_branch_id"]] = (min(low, row["submitted_at"]), max(high, row["closed_at"]))
    calendars = calendars_for(spans)
    for row in done:
        calendar = calendars[row["to_branch_id"]]
        seconds = calendar.business_seconds_between(to_ts(row["submitted_at"]), to_ts(row["closed_at"]))
        entry(row)["_hours"].append(max(seconds, 0))


# Profit sharing (a higher part) registers what it shared per request here (crossborder/apps.py):
# fn(references) -> [(source reference, statement currency, side, minor units)].
_revenue_source = None


def register_revenue_source(fn):
    global _revenue_source
    _revenue_source = fn


def _revenue_shared(done, entry):
    """The shares of the requests' fees on the profit statements, per statement currency and side."""
    if _revenue_source is None:
        return
    by_reference = {f"{REQUEST_REFERENCE}{row['id']}": row for row in done}
    for reference, currency, side, amount in _revenue_source(list(by_reference)):
        row = by_reference.get(reference)
        if row is None:
            continue
        shared = entry(row)["shared"].setdefault(currency, {"originating": 0, "servicing": 0})
        shared[side] = shared.get(side, 0) + int(amount)


def _label(group, rows, own):
    """Each row's label and the requests list's query parameters of its drill-down."""
    if group == "partner":
        banks = Bank.objects.in_bulk({row["key"][0] for row in rows})
        directions = {"sent": _("Sent"), "received": _("Received"), "within": _("Within the bank")}
        for row in rows:
            partner, direction = banks[row["key"][0]], row["key"][1]
            row["partner"], row["direction"] = partner, direction
            row["label"] = f"{partner.code} {partner.name_local} · {directions[direction]}"
            row["drill"] = {"partner": partner.code, **({} if direction == "within" else {"direction": direction})}
    elif group == "country":
        for row in rows:
            origin, receiving = row["key"]
            row["label"] = f"{countries.name(origin) or origin} → {countries.name(receiving) or receiving}"
            row["drill"] = {"from_country": origin, "to_country": receiving}
    elif group == "branch":
        branches = Branch.objects.select_related("bank").in_bulk({pk for row in rows for pk in row["key"]})
        for row in rows:
            origin, receiving = (branches[pk] for pk in row["key"])
            row["label"] = f"{origin.bank.code} {origin.name_local} → {receiving.bank.code} {receiving.name_local}"
            row["drill"] = {
                "from_bank": origin.bank.code,
                "from_branch": origin.code,
                "to_bank": receiving.bank.code,
                "to_branch": receiving.code,
            }
    elif group == "service":
        types = ServiceType.objects.in_bulk({row["key"][0] for row in rows})
        chinese = (get_language() or "").startswith("zh")
        for row in rows:
            kind = types[row["key"][0]]
            row["label"] = (kind.name_local if chinese else kind.name_en) or str(kind)
            row["drill"] = {"service": kind.code}
    else:
        for row in rows:
            row["label"] = str(S(row["key"][0]).label)
            row["drill"] = {"status": row["key"][0]}


def totals(rows):
    summed = {key: sum(row[key] for row in rows) for key in (*COUNTS, "sla_missed")}
    summed["sla_met_pct"] = _pct(summed["sla_met"], summed["completed"])
    summed["avg_business_hours"] = _hours(sum(row["business_seconds"] for row in rows), sum(row["timed"] for row in rows))
    fees, shared = {}, {}
    for row in rows:
        for currency, amount in row["fees"].items():
            fees[currency] = fees.get(currency, 0) + amount
        for currency, sides in row["shared"].items():
            into = shared.setdefault(currency, {"originating": 0, "servicing": 0})
            for side, amount in sides.items():
                into[side] = into.get(side, 0) + amount
    summed["fees"], summed["shared"] = fees, shared
    return summed
