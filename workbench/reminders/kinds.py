"""The registry of reminder kinds: each kind is a set-based SQL generator the nightly job unions.

A kind's `select(window)` returns (sql, params) of one SELECT with exactly these columns, or
None when it has nothing to add for the window (a bank switches kinds off with reminders.kinds_off):

    kind text, rule_id bigint, customer_id bigint, object_id bigint,
    event_date date, lead int, event_at timestamptz, details jsonb

over the events of `window.bank_id` whose reminder falls on or before the business date and
whose event has not passed: `event_date BETWEEN business_date AND business_date + lead` (an event
that appears late, a deposit opened two days before it matures, still gets its reminder; the
unique constraint keeps it to one). The job (services.generate) keeps the customers of the
window's branches with an active primary manager and computes each row's delivery.

A timed kind (`timed=True`, appointments: M minutes before) gives `event_at` and its lead in
minutes; it is delivered at event_at - lead, not at 09:00. Another area (the calendar's
appointments) registers its kind from its AppConfig.ready() with `register(Kind(...))`.

Rule kinds (`RULE_KINDS`) are what an administrator may add as a ReminderRule with parameters;
`validate(parameters)` checks them (ValidationError naming the parameter) and returns them cleaned.
"""

import dataclasses
import datetime
import decimal
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.master.models import Customer, Holding, HoldingBalance, IdentityDocument, Product, RetailProfile
from ocrm import parameters


@dataclasses.dataclass(frozen=True)
class Window:
    """What one run generates for: a bank, the business date of its branches in one zone."""

    bank_id: int
    business_date: datetime.date
    reminder_table: str  # for kinds that look at what was already sent (rules' quiet period)

    def param(self, key):
        return parameters.get(key, self.bank_id)


@dataclasses.dataclass(frozen=True)
class Kind:
    key: str
    label: object
    select: Callable  # (Window) -> (sql, params) | None
    describe: Callable  # (event_date, details) -> str, in the active language
    timed: bool = False
    order: int = 100


_kinds = {}


def register(kind):
    _kinds[kind.key] = kind


def registered():
    return sorted(_kinds.values(), key=lambda kind: (kind.order, kind.key))


def choices():
    return [(kind.key, kind.label) for kind in registered()]


def switched_off(window):
    """The kinds the bank switched off (reminders.kinds_off)."""
    value = window.param("reminders.kinds_off")
    return set(value) if isinstance(value, list) else set()


def describe(kind_key, event_date, details, rule_name=""):
    kind = _kinds.get(kind_key)
    if kind is None:
        return kind_key
    text = kind.describe(event_date, details or {})
    return f"{rule_name}: {text}" if rule_name else text


def _day(value):
    return date_format(value, "Y-m-d") if value else ""


# --- the built-in kinds ----------------------------------------------------------------------

COLUMNS = "kind, rule_id, customer_id, object_id, event_date, lead, event_at, details"

_HOLDING_DETAILS = (
    "jsonb_build_object('account', '****' || right(h.account_number, 4), 'currency', h.currency, "
    "'amount', {amount}::text, 'product', p.name_local)"
)


def _holding_select(kind, date_column, lead_key, product_filter, amount):
    def select(window):
        lead = window.param(lead_key)
        sql = f"""
            SELECT %(k_{kind})s::text, NULL::bigint, h.customer_id, h.id, h.{date_column}, %(l_{kind})s::int,
                   NULL::timestamptz, {_HOLDING_DETAILS.format(amount=amount)}
            FROM {Holding._meta.db_table} h JOIN {Product._meta.db_table} p ON p.id = h.product_id
            WHERE h.bank_id = %(bank)s AND h.status <> 'closed' AND {product_filter}
              AND h.{date_column} BETWEEN %(day)s::date AND %(day)s::date + %(l_{kind})s::int"""
        return sql, {f"k_{kind}": kind, f"l_{kind}": lead}

    return select


def _maturity_text(event_date, details):
    return _("Time deposit %(account)s (%(currency)s %(amount)s) matures on %(date)s") % {
        "account": details.get("account", ""),
        "currency": details.get("currency", ""),
        "amount": details.get("amount", ""),
        "date": _day(event_date),
    }


def _instalment_text(event_date, details):
    return _("Loan instalment of %(currency)s %(amount)s on %(account)s is due on %(date)s") % {
        "account": details.get("account", ""),
        "currency": details.get("currency", ""),
        "amount": details.get("amount") or "-",
        "date": _day(event_date),
    }


def leap_aware_birthdays(day):
    """The birth dates' 'MM-DD' that fall on `day`: 29 February is celebrated on the 28th in other years."""
    keys = [day.strftime("%m-%d")]
    if day.month == 2 and day.day == 28:
        try:
            datetime.date(day.year, 2, 29)
        except ValueError:
            keys.append("02-29")
    return keys


def _birthday_select(window):
    sql = f"""
        SELECT 'birthday'::text, NULL::bigint, rp.customer_id, rp.customer_id, %(day)s::date, 0,
               NULL::timestamptz, jsonb_build_object('age', extract(year FROM age(%(day)s::date, rp.birth_date))::int)
        FROM {RetailProfile._meta.db_table} rp
        WHERE rp.birth_date IS NOT NULL AND to_char(rp.birth_date, 'MM-DD') = ANY(%(birthdays)s)
          AND rp.birth_date < %(day)s::date"""
    return sql, {"birthdays": leap_aware_birthdays(window.business_date)}


def _birthday_text(event_date, details):
    return _("Birthday on %(date)s (turns %(age)s)") % {"date": _day(event_date), "age": details.get("age", "")}


def _id_expiry_select(window):
    lead = window.param("reminders.id_expiry_days")
    sql = f"""
        SELECT 'id_expiry'::text, NULL::bigint, d.customer_id, d.id, d.expiry_date, %(l_id)s::int, NULL::timestamptz,
               jsonb_build_object('document', d.doc_type, 'number', d.number_masked)
        FROM {IdentityDocument._meta.db_table} d
        WHERE d.bank_id = %(bank)s AND d.expiry_date BETWEEN %(day)s::date AND %(day)s::date + %(l_id)s::int"""
    return sql, {"l_id": lead}


def _id_expiry_text(event_date, details):
    return _("Identity document %(number)s expires on %(date)s") % {"number": details.get("number", ""), "date": _day(event_date)}


register(
    Kind(
        "maturity",
        gettext_lazy("Time deposit maturity"),
        _holding_select("maturity", "maturity_date", "reminders.maturity_days", "p.product_type = 'time_deposit'", "h.balance"),
        _maturity_text,
        order=10,
    )
)
register(
    Kind(
        "instalment",
        gettext_lazy("Loan instalment due"),
        _holding_select(
            "instalment",
            "next_instalment_date",
            "reminders.instalment_days",
            "p.product_type = 'loan'",
            "h.next_instalment_amount",
        ),
        _instalment_text,
        order=20,
    )
)
register(Kind("birthday", gettext_lazy("Customer birthday"), _birthday_select, _birthday_text, order=30))
register(Kind("id_expiry", gettext_lazy("Identity document expiring"), _id_expiry_select, _id_expiry_text, order=40))


# --- rule kinds: what an administrator adds as a ReminderRule --------------------------------


@dataclasses.dataclass(frozen=True)
class RuleKind:
    key: str
    label: object
    validate: Callable  # (parameters) -> cleaned parameters; ValidationError({"parameters": ...})
    select: Callable  # (Window, rules [(id, parameters)]) -> (sql, params) | None
    describe: Callable


RULE_KINDS = {}


def register_rule_kind(rule_kind):
    RULE_KINDS[rule_kind.key] = rule_kind
    # Its reminders carry the rule kind's key as their kind.
    register(Kind(rule_kind.key, rule_kind.label, lambda window: None, rule_kind.describe, order=200))


def rule_kind_choices():
    return [(key, kind.label) for key, kind in sorted(RULE_KINDS.items())]


def _number(parameters, name, low, high, integer=False):
    value = parameters.get(name) if isinstance(parameters, dict) else None
    try:
        number = decimal.Decimal(str(value))
    except (decimal.InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or not low <= number <= high or (integer and number != int(number)):
        raise ValidationError(
            {
                "parameters": _("%(name)s must be a number from %(low)s to %(high)s%(whole)s.")
                % {"name": name, "low": low, "high": high, "whole": _(" (a whole number)") if integer else ""}
            }
        )
    return int(number) if integer else float(number)


def _aum_drop_validate(parameters):
    if not isinstance(parameters, dict):
        raise ValidationError({"parameters": _('Give the parameters as a JSON object, e.g. {"percent": 20, "days": 30}.')})
    unknown = set(parameters) - {"percent", "days"}
    if unknown:
        raise ValidationError({"parameters": _("Unknown parameter: %(name)s.") % {"name": ", ".join(sorted(unknown))}})
    return {"percent": _number(parameters, "percent", 1, 100), "days": _number(parameters, "days", 1, 366, integer=True)}


def _aum_drop_select(window, rules):
    """Customers whose AUM fell by more than `percent` % against their AUM `days` days ago (the
    bank's latest balance history date on or before that day, within a month of it). Quiet for
    `days` days after a reminder of the same rule and customer: no repeat every night."""
    if not rules:
        return None
    sql = f"""
        SELECT 'aum_drop'::text, r.rule_id, c.id, c.id, %(day)s::date, 0, NULL::timestamptz,
               jsonb_build_object('before', round(past.aum, 2)::text, 'now', round(c.aum, 2)::text,
                                  'percent', round(100 * (past.aum - c.aum) / past.aum, 1)::text, 'days', r.days)
        FROM unnest(%(ad_rules)s::bigint[], %(ad_percent)s::numeric[], %(ad_days)s::int[]) AS r(rule_id, percent, days)
        CROSS JOIN LATERAL (
            SELECT max(business_date) AS day FROM {HoldingBalance._meta.db_table}
            WHERE bank_id = %(bank)s AND business_date <= %(day)s::date - r.days AND business_date > %(day)s::date - r.days - 31
        ) d
        JOIN LATERAL (
            SELECT customer_id, sum(balance_base) AS aum FROM {HoldingBalance._meta.db_table}
            WHERE bank_id = %(bank)s AND business_date = d.day GROUP BY customer_id
        ) past ON past.aum > 0
        JOIN {Customer._meta.db_table} c ON c.id = past.customer_id
        WHERE c.aum < past.aum * (1 - r.percent / 100)
          AND NOT EXISTS (SELECT 1 FROM {window.reminder_table} q WHERE q.kind = 'aum_drop' AND q.rule_id = r.rule_id
                          AND q.object_id = c.id AND q.event_date > %(day)s::date - r.days)"""
    return sql, {
        "ad_rules": [rule_id for rule_id, _p in rules],
        "ad_percent": [decimal.Decimal(str(p["percent"])) for _id, p in rules],
        "ad_days": [p["days"] for _id, p in rules],
    }


def _aum_drop_text(event_date, details):
    return _("AUM fell %(percent)s%% in %(days)s days (%(before)s → %(now)s)") % {
        "percent": details.get("percent", ""),
        "days": details.get("days", ""),
        "before": details.get("before", ""),
        "now": details.get("now", ""),
    }


register_rule_kind(
    RuleKind(
        "aum_drop", gettext_lazy("AUM dropped by more than X% in N days"), _aum_drop_validate, _aum_drop_select, _aum_drop_text
    )
)
