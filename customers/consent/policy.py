"""The one contact policy, set-based: the rules every campaign, SMS batch and reminder obeys.

A caller writes its candidates with the first excluding rule already decided (``candidates_sql``:
one SELECT — consent a join, the frequency cap and "recent campaign" one GROUP BY over the contact
log joined once, households one window), or marks a table of its own with ``apply_rules`` (one
UPDATE from the same SELECT); a dry run over a million customers never loads them into Python and
never runs a subquery per candidate. The funnel is the count still in after each rule.

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
    """(code, SQL condition) per applicable rule, in order, over the customer c, its contact policy
    row pol and its recent contacts lg (both LEFT JOINed by ``_joins``: NULL when there are none)."""
    cap, _cap_days = cap_of(ctx.bank_id)
    rules = [("do_not_contact", "c.do_not_contact")]
    if ctx.purpose == "marketing":
        rules.append(("no_consent", "NOT coalesce(pol.marketing_consent, false)"))
    if set(ctx.channels) == {"sms"}:
        rules.append(("channel_opt_out", "c.do_not_sms"))
    if ctx.purpose == "marketing" and cap > 0:
        rules.append(("frequency_cap", "coalesce(lg.capped, false)"))
    if ctx.recent_sources and ctx.recent_days > 0:
        rules.append(("recent_campaign", "coalesce(lg.recent_campaign, false)"))
    return rules


def _joins(ctx, *, one_customer=False):
    """The LEFT JOINs the conditions read, and their positional params. Set-based (the default):
    the contact log is read once, grouped per customer over the widest window the rules need, and
    hash-joined — never a subquery per candidate. one_customer: the same as a LATERAL over the
    customer's own index range (exclusion_for)."""
    contact_policy, log = ContactPolicy._meta.db_table, ContactLog._meta.db_table
    codes = {code for code, _condition in _rule_conditions(ctx)}
    joins, params = [f"LEFT JOIN {contact_policy} pol ON pol.customer_id = c.id"], []
    now = ctx.moment()
    columns, column_params, windows = [], [], []
    if "frequency_cap" in codes:
        cap, cap_days = cap_of(ctx.bank_id)
        since = now - datetime.timedelta(days=cap_days)
        columns.append("count(*) FILTER (WHERE l.contacted_at > %s) >= %s AS capped")
        column_params += [since, cap]
        windows.append(since)
    if "recent_campaign" in codes:
        since = now - datetime.timedelta(days=ctx.recent_days)
        columns.append("bool_or(l.source = ANY(%s) AND l.contacted_at > %s) AS recent_campaign")
        column_params += [list(ctx.recent_sources), since]
        windows.append(since)
    if columns:
        if one_customer:
            joins.append(
                f"""LEFT JOIN LATERAL (SELECT {", ".join(columns)} FROM {log} l
                                        WHERE l.customer_id = c.id AND l.contacted_at > %s) lg ON true"""
            )
        else:
            joins.append(
                f"""LEFT JOIN (SELECT l.customer_id, {", ".join(columns)} FROM {log} l
                                WHERE l.bank_id = %s AND l.contacted_at > %s GROUP BY l.customer_id) lg
                       ON lg.customer_id = c.id"""
            )
            column_params.append(ctx.bank_id)
        params += [*column_params, min(windows)]
    return " ".join(joins), params


def exclusion_case(ctx):
    """One SQL expression over c, pol and lg naming the first rule that excludes the customer ('' when
    none does); the household rule is not in it (it needs the other rows: ``candidates_sql``)."""
    return "CASE " + " ".join(f"WHEN {condition} THEN '{code}'" for code, condition in _rule_conditions(ctx)) + " ELSE '' END"


def candidates_sql(ctx, ids_sql, ids_params, columns=()):
    """SELECT customer_id, excluded_by[, c.<columns>] for the customers whose ids `ids_sql` returns,
    each with the first rule that excludes it, households included: one statement, the contact log
    grouped once and hash-joined, and "one offer per household" one window over the rows still in
    (only the lowest customer id of each household stays). Returns (sql, params)."""
    customer = Customer._meta.db_table
    joins, join_params = _joins(ctx)
    extra = "".join(f", c.{column}" for column in columns)
    ruled = f"""SELECT c.id AS customer_id, c.household_id, {exclusion_case(ctx)} AS excluded_by{extra}
                  FROM {customer} c {joins} WHERE c.id IN ({ids_sql})"""
    outer_extra = "".join(f", r.{column}" for column in columns)
    if ctx.household_once:
        excluded = """CASE WHEN r.excluded_by = '' AND r.household_id IS NOT NULL
                            AND row_number() OVER (PARTITION BY r.household_id, r.excluded_by = '' ORDER BY r.customer_id) > 1
                           THEN 'household' ELSE r.excluded_by END"""
    else:
        excluded = "r.excluded_by"
    return f"SELECT r.customer_id, {excluded} AS excluded_by{outer_extra} FROM ({ruled}) r", [*join_params, *ids_params]


def funnel_of(table, where_sql, where_params, ctx, *, excluded_column="excluded_by"):
    """[("candidates", label, n), (rule, label, n still in after it), ...] from one GROUP BY."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t.{excluded_column}, count(*) FROM {table} t WHERE {where_sql} GROUP BY 1", where_params)
        counts = dict(cursor.fetchall())
    return funnel_from_counts(counts, ctx)


def funnel_from_counts(counts, ctx):
    """The funnel from {excluded_by: rows} ('' for the rows still in)."""
    remaining = sum(counts.values())
    funnel = [("candidates", _("Candidates"), remaining)]
    codes = [code for code, _condition in _rule_conditions(ctx)] + (["household"] if ctx.household_once else [])
    for code in codes:
        remaining -= counts.get(code, 0)
        funnel.append((code, RULES[code], remaining))
    return funnel


def apply_rules(table, where_sql, where_params, ctx, *, customer_column="customer_id", excluded_column="excluded_by"):
    """Mark each candidate row of `table` (alias t, restricted by `where_sql` with positional
    params) still in with the first rule that excludes it (households included): one UPDATE.
    Returns the funnel (funnel_of)."""
    base = f"{where_sql} AND t.{excluded_column} = ''"
    select_sql, select_params = candidates_sql(ctx, f"SELECT t.{customer_column} FROM {table} t WHERE {base}", where_params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table} t SET {excluded_column} = ruled.excluded_by FROM ({select_sql}) ruled
                 WHERE t.{customer_column} = ruled.customer_id AND {base}""",
            [*select_params, *where_params],
        )
    return funnel_of(table, where_sql, where_params, ctx, excluded_column=excluded_column)


def exclusion_for(customer_id, ctx, *, household_taken=False):
    """The first rule that excludes one customer (None: may be contacted) — the per-recipient
    face of the same conditions."""
    customer = Customer._meta.db_table
    joins, join_params = _joins(ctx, one_customer=True)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {exclusion_case(ctx)} FROM {customer} c {joins} WHERE c.id = %s", [*join_params, customer_id])
        row = cursor.fetchone()
    if row is None:
        return "do_not_contact"
    if row[0]:
        return row[0]
    if household_taken and ctx.household_once:
        return "household"
    return None


def log_contacts(
    table, where_sql, where_params, *, bank_id, channels, source, at=None, customer_column="customer_id", source_is_new=None
):
    """Record a contact per channel for every row of `table` matching `where_sql` (alias t): one
    INSERT ... SELECT, idempotent per customer, source and channel. When the source has no contact
    yet (`source_is_new`, else one probe of the (source, customer) index) nothing can conflict and the insert skips ON
    CONFLICT's per-row arbitration; the unique constraint still forbids a duplicate. Returns how
    many were new."""
    log = ContactLog._meta.db_table
    with connection.cursor() as cursor:
        if source_is_new is None:
            cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {log} WHERE source = %s)", [source])
            source_is_new = cursor.fetchone()[0]
        conflict = "" if source_is_new else " ON CONFLICT (customer_id, source, channel) DO NOTHING"
        cursor.execute(
            f"""INSERT INTO {log} (bank_id, customer_id, channel, source, contacted_at)
                SELECT %s, t.{customer_column}, channel, %s, %s
                  FROM {table} t CROSS JOIN unnest(%s::text[]) AS channel WHERE {where_sql}{conflict}""",
            [bank_id, source, at or timezone.now(), list(channels), *where_params],
        )
        return cursor.rowcount
