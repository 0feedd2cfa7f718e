"""What a rule would do, written nowhere: one amount split by its shares, and the revenue of a
month (the bank's events of the rule's type, whatever rule shares them today) split by it with the
statement's own conversion (the statement currency at the period's rate) and allocation SQL,
totalled per share, with the revenue per event currency beside it (docs/profit-sharing.md)."""

from django.db import connection

from crossborder.profitsharing import services
from crossborder.profitsharing.allocation import allocate
from crossborder.profitsharing.models import RuleShare

# The rule's events of the month (a reversal with its original's type), converted to the
# statement currency by the statement's own conversion (services._CONVERSION_CTE), split by the
# statement's own allocation (services._ALLOCATION_CTE).
_EVENTS_CTE = (
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
), """
    + services._CONVERSION_CTE
)

SIMULATION_SQL = (
    _EVENTS_CTE
    + """, shares AS (
    SELECT conv.*, s.position, s.side, s.percentage, s.fixed_amount_minor,
           abs(conv.converted) AS magnitude, sign(conv.converted) AS sgn,
           COALESCE(SUM(s.fixed_amount_minor) OVER (PARTITION BY conv.id ORDER BY s.position
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS fixed_before,
           COALESCE(SUM(s.fixed_amount_minor) OVER (PARTITION BY conv.id), 0) AS fixed_total
    FROM conv JOIN crossborder_ruleshare s ON s.rule_id = %(rule)s
), """
    + services._ALLOCATION_CTE
    + """
SELECT position, COUNT(*),
       SUM(sgn * (base_part + CASE WHEN percentage IS NOT NULL AND remainder_rank <= leftover THEN 1 ELSE 0 END))
FROM ranked
GROUP BY position
ORDER BY position
"""
)

TOTALS_SQL = (
    _EVENTS_CTE
    + """
SELECT currency, COUNT(*), SUM(amount_minor), SUM(converted), MIN(rate_value), MIN(rate_date)
FROM conv GROUP BY currency ORDER BY currency
"""
)


def shares_of(rule):
    return list(RuleShare.objects.filter(rule=rule).select_related("manager").order_by("position"))


def split_amount(rule, amount_minor, shares=None):
    """[(share, part)] of one amount in minor units; the parts sum to the amount."""
    shares = shares_of(rule) if shares is None else shares
    parts = allocate(int(amount_minor), [(s.percentage, s.fixed_amount_minor) for s in shares])
    return list(zip(shares, parts, strict=True))


def split_month(rule, period, shares=None):
    """The month of `period` split by the rule, in the bank's statement currency at the period's
    rate (as the statement converts): {currency, events, revenue_minor, by_currency: [{currency,
    events, revenue_minor, converted_minor, rate, rate_date}], parts: [(share, events,
    amount_minor)]}, in SQL, reading only. services.StatementError when a rate is missing."""
    shares = shares_of(rule) if shares is None else shares
    by_position = {s.position: s for s in shares}
    params = services._params(rule.bank, period)
    params["rule"] = rule.pk
    services._check_rates(rule.bank, params)
    with connection.cursor() as cursor:
        cursor.execute(TOTALS_SQL, params)
        totals = cursor.fetchall()
        cursor.execute(SIMULATION_SQL, params)
        rows = cursor.fetchall()
    by_currency = [
        {
            "currency": currency,
            "events": events,
            "revenue_minor": int(revenue),
            "converted_minor": int(converted),
            "rate": rate,
            "rate_date": rate_date,
        }
        for currency, events, revenue, converted, rate, rate_date in totals
    ]
    return {
        "currency": rule.bank.base_currency,
        "events": sum(block["events"] for block in by_currency),
        "revenue_minor": sum(block["converted_minor"] for block in by_currency),
        "by_currency": by_currency,
        "parts": [(by_position[position], count, int(amount)) for position, count, amount in rows],
    }
