"""Cross-border statistics (跨境服务的统计分析): the requests the user may see, submitted in a period,
per partner bank and direction (sent / received): how many, by status, completed within the
service time (SLA met %), and the fees booked on them per currency (the revenue shared through
profit sharing). One aggregate query each; the rows feed the page, its chart and its XLSX."""

import datetime

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from crossborder.requests.models import CrossBorderRequest
from sysadmin.org.models import Bank

S = CrossBorderRequest.Status
OPEN_STATUSES = (S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS, S.WAITING)


def period_bounds(date_from, date_to, zone=None):
    """[start, end) aware datetimes of the days from..to in the zone (the user's)."""
    zone = zone or timezone.get_current_timezone()
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return start, end


def by_partner(user, date_from, date_to):
    """[{partner (Bank), direction, total, open, completed, declined, cancelled, sla_met, sla_missed,
    sla_met_pct, fees: {currency: minor}}], the largest first."""
    start, end = period_bounds(date_from, date_to)
    requests = CrossBorderRequest.objects.visible_to(user).filter(submitted_at__gte=start, submitted_at__lt=end)
    own = user.bank_id
    completed = Q(status=S.COMPLETED)
    counts = (
        requests.values("bank_id", "to_bank_id")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            completed=Count("id", filter=completed),
            declined=Count("id", filter=Q(status=S.DECLINED)),
            cancelled=Count("id", filter=Q(status=S.CANCELLED)),
            sla_met=Count("id", filter=completed & Q(closed_at__lte=F("due_at"))),
        )
        .order_by()
    )
    fees = (
        requests.filter(completed, fee_amount_minor__gt=0)
        .values("bank_id", "to_bank_id", "fee_currency")
        .annotate(amount=Sum("fee_amount_minor"))
        .order_by()
    )
    rows = {}
    for row in counts:
        key = _key(row, own)
        entry = rows.setdefault(
            key,
            {"total": 0, "open": 0, "completed": 0, "declined": 0, "cancelled": 0, "sla_met": 0, "fees": {}},
        )
        for name in ("total", "open", "completed", "declined", "cancelled", "sla_met"):
            entry[name] += row[name]
    for row in fees:
        entry = rows[_key(row, own)]["fees"]
        entry[row["fee_currency"]] = entry.get(row["fee_currency"], 0) + int(row["amount"])
    banks = Bank.objects.in_bulk({partner for partner, _direction in rows})
    result = []
    for (partner, direction), entry in rows.items():
        entry["sla_missed"] = entry["completed"] - entry["sla_met"]
        entry["sla_met_pct"] = round(100 * entry["sla_met"] / entry["completed"], 1) if entry["completed"] else None
        result.append({"partner": banks[partner], "direction": direction, **entry})
    result.sort(key=lambda r: (-r["total"], r["partner"].code, r["direction"]))
    return result


def _key(row, own):
    """(partner bank id, direction) from the user's bank's point of view; inside one bank: the
    bank itself, "within"."""
    if row["bank_id"] == row["to_bank_id"]:
        return row["bank_id"], "within"
    if row["bank_id"] == own:
        return row["to_bank_id"], "sent"
    if row["to_bank_id"] == own:
        return row["bank_id"], "received"
    return row["to_bank_id"], "sent"  # a superuser's view: from the requesting bank's side


def totals(rows):
    keys = ("total", "open", "completed", "declined", "cancelled", "sla_met", "sla_missed")
    summed = {key: sum(row[key] for row in rows) for key in keys}
    summed["sla_met_pct"] = round(100 * summed["sla_met"] / summed["completed"], 1) if summed["completed"] else None
    fees = {}
    for row in rows:
        for currency, amount in row["fees"].items():
            fees[currency] = fees.get(currency, 0) + amount
    summed["fees"] = fees
    return summed
