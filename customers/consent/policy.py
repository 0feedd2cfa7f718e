"""The one contact policy, set-based: the rules every campaign, SMS batch and reminder obeys.

A caller materialises its candidates in a table of its own (one row per customer with an
"excluded by" text column, '' while still in) and asks ``apply_rules`` to mark, rule by rule and
in a fixed order, the first rule that excludes each row: one UPDATE per rule over the whole
candidate set, so a dry run over a million customers never loads them into Python. The funnel
is the count still in after each rule.

The same rules answer for one recipient (``exclusion_for``), which the outbox asks through
``customers.consent.services.suppression_rule`` before it queues a marketing message.

Rules, in order:
* do_not_contact   — the customer's do-not-contact flag;
* no_consent       — marketing without the customer's marketing consent (purpose "marketing");
* channel_opt_out  — the only channels are SMS and the customer wants no SMS;
* frequency_cap    — already N contacts in the rolling M days over all campaigns and channels
                     (parameters contact.frequency_cap_contacts / contact.frequency_cap_days);
* recent_campaign  — contacted by one of the named sources (campaign X) within D days;
* household        — one offer per household: only the lowest customer id of a household stays.
"""

import dataclasses
import datetime

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.consent.models import ContactLog, ContactPolicy
from customers.master.models import Customer
from ocrm import parameters

RULES = {
    "do_not_contact": _("Do not contact"),
    "no_consent": _("No marketing consent"),
    "channel_opt_out": _("Opted out of the channel"),
    "frequency_cap": _("Frequency cap reached"),
    "recent_campaign": _("Contacted recently by another campaign"),
    "household": _("Another member of the household is offered"),
}


def rule_label(code):
    return RULES.get(code, code)


@dataclasses.dataclass(frozen=True)
class Context:
    """What a contact asks of the policy."""

    bank_id: int
    purpose: str = "marketing"  # or "service"
    channels: tuple = ("task",)  # "task", "sms", "offer"
    recent_sources: tuple = ()  # e.g. ("campaign:12",): "not within recent_days of these"
    recent_days: int = 0
    household_once: bool = False
    now: datetime.datetime = None

    def moment(self):
        return self.now or timezone.now()


def cap_of(bank_id):
    return parameters.get("contact.frequency_cap_contacts", bank_id), parameters.get("contact.frequency_cap_days", bank_id)


def _rule_conditions(ctx):
    """(code, SQL condition over the customer alias c, positional params) per applicable rule, in order."""
    policy, log = ContactPolicy._meta.db_table, ContactLog._meta.db_table
    cap, cap_days = cap_of(ctx.bank_id)
    now = ctx.moment()
    rules = [("do_not_contact", "c.do_not_contact", [])]
    if ctx.purpose == "marketing":
        rules.append(
            ("no_consent", f"NOT EXISTS (SELECT 1 FROM {policy} p WHERE p.customer_id = c.id AND p.marketing_consent)", [])
        )
    if set(ctx.channels) == {"sms"}:
        rules.append(("channel_opt_out", "c.do_not_sms", []))
    if ctx.purpose == "marketing" and cap > 0:
        rules.append(
            (
                "frequency_cap",
                f"(SELECT count(*) FROM {log} l WHERE l.customer_id = c.id AND l.contacted_at > %s) >= %s",
                [now - datetime.timedelta(days=cap_days), cap],
            )
        )
    if ctx.recent_sources and ctx.recent_days > 0:
        rules.append(
            (
                "recent_campaign",
                f"EXISTS (SELECT 1 FROM {log} l WHERE l.customer_id = c.id AND l.source = ANY(%s) AND l.contacted_at > %s)",
                [list(ctx.recent_sources), now - datetime.timedelta(days=ctx.recent_days)],
            )
        )
    return rules


def exclusion_case(ctx):
    """One SQL expression over the customer alias c naming the first rule that excludes the
    customer ('' when none does), and its positional params: a caller writes its candidates with
    the rule already decided, in one pass (no UPDATE per rule)."""
    rules = _rule_conditions(ctx)
    sql = "CASE " + " ".join(f"WHEN {condition} THEN '{code}'" for code, condition, _params in rules) + " ELSE '' END"
    return sql, [value for _code, _condition, params in rules for value in params]


def exclude_households(table, where_sql, where_params, *, customer_column="customer_id", excluded_column="excluded_by"):
    """One offer per household: of the rows still in (alias t, `where_sql` with positional params),
    only the lowest customer id of each household stays. Returns how many were excluded."""
    customer = Customer._meta.db_table
    base = f"{where_sql} AND t.{excluded_column} = ''"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table} t SET {excluded_column} = 'household' FROM (
                    SELECT t.{customer_column} AS customer_id,
                           row_number() OVER (PARTITION BY c.household_id ORDER BY c.id) AS n
                      FROM {table} t JOIN {customer} c ON c.id = t.{customer_column}
                     WHERE {base} AND c.household_id IS NOT NULL) ranked
                 WHERE ranked.n > 1 AND t.{customer_column} = ranked.customer_id AND {base}""",
            [*where_params, *where_params],
        )
        return cursor.rowcount


def funnel_of(table, where_sql, where_params, ctx, *, excluded_column="excluded_by"):
    """[("candidates", label, n), (rule, label, n still in after it), ...] from one GROUP BY."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t.{excluded_column}, count(*) FROM {table} t WHERE {where_sql} GROUP BY 1", where_params)
        counts = dict(cursor.fetchall())
    remaining = sum(counts.values())
    funnel = [("candidates", _("Candidates"), remaining)]
    codes = [code for code, _condition, _params in _rule_conditions(ctx)] + (["household"] if ctx.household_once else [])
    for code in codes:
        remaining -= counts.get(code, 0)
        funnel.append((code, RULES[code], remaining))
    return funnel


def apply_rules(table, where_sql, where_params, ctx, *, customer_column="customer_id", excluded_column="excluded_by"):
    """Mark each candidate row of `table` (alias t, restricted by `where_sql` with positional
    params) with the first rule that excludes it: one UPDATE for the rules, one for households.
    Returns the funnel (funnel_of)."""
    customer = Customer._meta.db_table
    case_sql, case_params = exclusion_case(ctx)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table} t SET {excluded_column} = {case_sql} FROM {customer} c
                 WHERE c.id = t.{customer_column} AND {where_sql} AND t.{excluded_column} = ''""",
            [*case_params, *where_params],
        )
    if ctx.household_once:
        exclude_households(table, where_sql, where_params, customer_column=customer_column, excluded_column=excluded_column)
    return funnel_of(table, where_sql, where_params, ctx, excluded_column=excluded_column)


def exclusion_for(customer_id, ctx, *, household_taken=False):
    """The first rule that excludes one customer (None: may be contacted) — the per-recipient
    face of the same conditions."""
    customer = Customer._meta.db_table
    case_sql, case_params = exclusion_case(ctx)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {case_sql} FROM {customer} c WHERE c.id = %s", [*case_params, customer_id])
        row = cursor.fetchone()
    if row is None:
        return "do_not_contact"
    if row[0]:
        return row[0]
    if household_taken and ctx.household_once:
        return "household"
    return None


def log_contacts(table, where_sql, where_params, *, bank_id, channel, source, at=None, customer_column="customer_id"):
    """Record a contact for every row of `table` matching `where_sql` (alias t): one INSERT ...
    SELECT, idempotent per customer, source and channel. Returns how many were new."""
    log = ContactLog._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {log} (bank_id, customer_id, channel, source, contacted_at)
                SELECT %s, t.{customer_column}, %s, %s, %s
                  FROM {table} t WHERE {where_sql}
                ON CONFLICT (customer_id, source, channel) DO NOTHING""",
            [bank_id, channel, source, at or timezone.now(), *where_params],
        )
        return cursor.rowcount
