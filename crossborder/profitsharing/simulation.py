"""What a rule would do, written nowhere: one amount split by its shares, and the revenue of a
month (the bank's events of the rule's type, whatever rule shares them today) split by it with the
statement's own allocation SQL, totalled per share and event currency (docs/profit-sharing.md)."""

from django.db import connection

from crossborder.profitsharing import services
from crossborder.profitsharing.allocation import allocate
from crossborder.profitsharing.models import RuleShare

SIMULATION_SQL = (
    """
WITH ru AS (
    SELECT id, bank_id, revenue_type, fee_type FROM crossborder_profitsharerule WHERE id = %(rule)s
), ev AS (
    SELECT e.id, e.amount_minor, e.currency
    FROM crossborder_revenueevent e
    LEFT JOIN crossborder_revenueevent o ON o.id = e.reversal_of_id
    JOIN ru ON ru.bank_id = e.bank_id
    WHERE e.booked_on >= %(start)s AND e.booked_on < %(end)s
      AND COALESCE(o.revenue_type, e.revenue_type) = ru.revenue_type
      AND (ru.fee_type = '' OR ru.fee_type = COALESCE(o.fee_type, e.fee_type))
), shares AS (
    SELECT ev.*, s.position, s.side, s.percentage, s.fixed_amount_minor,
           abs(ev.amount_minor) AS magnitude, sign(ev.amount_minor) AS sgn,
           COALESCE(SUM(s.fixed_amount_minor) OVER (PARTITION BY ev.id ORDER BY s.position
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS fixed_before,
           COALESCE(SUM(s.fixed_amount_minor) OVER (PARTITION BY ev.id), 0) AS fixed_total
    FROM ev JOIN crossborder_ruleshare s ON s.rule_id = %(rule)s
), """
    + services._ALLOCATION_CTE
    + """
SELECT currency, position, side, COUNT(*),
       SUM(sgn * (base_part + CASE WHEN percentage IS NOT NULL AND remainder_rank <= leftover THEN 1 ELSE 0 END))
FROM ranked
GROUP BY currency, position, side
ORDER BY currency, position
"""
)

TOTALS_SQL = """
SELECT e.currency, COUNT(*), SUM(e.amount_minor)
FROM crossborder_revenueevent e
LEFT JOIN crossborder_revenueevent o ON o.id = e.reversal_of_id
JOIN crossborder_profitsharerule ru ON ru.id = %(rule)s AND ru.bank_id = e.bank_id
WHERE e.booked_on >= %(start)s AND e.booked_on < %(end)s
  AND COALESCE(o.revenue_type, e.revenue_type) = ru.revenue_type
  AND (ru.fee_type = '' OR ru.fee_type = COALESCE(o.fee_type, e.fee_type))
GROUP BY e.currency ORDER BY e.currency
"""


def shares_of(rule):
    return list(RuleShare.objects.filter(rule=rule).select_related("manager").order_by("position"))


def split_amount(rule, amount_minor, shares=None):
    """[(share, part)] of one amount in minor units; the parts sum to the amount."""
    shares = shares_of(rule) if shares is None else shares
    parts = allocate(int(amount_minor), [(s.percentage, s.fixed_amount_minor) for s in shares])
    return list(zip(shares, parts, strict=True))


def split_month(rule, period, shares=None):
    """The month of `period` split by the rule: [{currency, events, revenue_minor, parts:
    [(share, events, amount_minor)]}], in SQL, reading only."""
    shares = shares_of(rule) if shares is None else shares
    by_position = {s.position: s for s in shares}
    start, end, _last = services.month_bounds(period)
    params = {"rule": rule.pk, "start": start, "end": end}
    with connection.cursor() as cursor:
        cursor.execute(TOTALS_SQL, params)
        totals = cursor.fetchall()
        cursor.execute(SIMULATION_SQL, params)
        rows = cursor.fetchall()
    result = []
    for currency, events, revenue in totals:
        parts = [(by_position[pos], count, int(amount)) for cur, pos, _side, count, amount in rows if cur == currency]
        result.append({"currency": currency, "events": events, "revenue_minor": int(revenue), "parts": parts})
    return result
