"""Rule-based segments: value × lifecycle × product usage, read from the customer snapshot.

* value, by AUM in the bank's base currency: high (≥ 1,000,000), medium (≥ 50,000), low;
* lifecycle: the customer's lifecycle stage on that date;
* product usage, by products held: single (0–1), cross-sold (2–3), deep (4 or more).

A segment is value × lifecycle; its size is shown split by product usage. Movement between two
dates is a transition matrix over the segments (with "not in the snapshot" for customers who
joined or left the scope in between), one grouped statement.

A segment becomes a dynamic customer group (customers.master.groups.save_dynamic_group): the
customer list's saved filter of its AUM band and lifecycle stage (and the branch filter), run
again against today's data whenever a campaign uses the group. The customer list has no filter
on products held, so the group is the segment's value × lifecycle cell, all usages together.
"""

import dataclasses
from decimal import Decimal

from django.db import connection
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from customers.master.models import Customer
from reports.analyses import markers
from reports.analyses.scope import SnapshotScope
from reports.analyses.sql import sort_in_memory

HIGH_AUM = Decimal("1000000")
MEDIUM_AUM = Decimal("50000")

VALUES = (("high", _("High value")), ("medium", _("Medium value")), ("low", _("Low value")))
USAGES = (("single", _("Single product")), ("cross", _("Cross-sold (2–3)")), ("deep", _("Deep (4+)")))
LIFECYCLES = tuple(Customer.Lifecycle.choices)
OUTSIDE = "-"  # not in the snapshot of that date (within the scope)

# The customer list's filter of each value band (aum_max is inclusive: cents below the next band).
VALUE_FILTERS = {
    "high": {"aum_min": str(HIGH_AUM)},
    "medium": {"aum_min": str(MEDIUM_AUM), "aum_max": str(HIGH_AUM - Decimal("0.01"))},
    "low": {"aum_max": str(MEDIUM_AUM - Decimal("0.01"))},
}

VALUE_SQL = f"CASE WHEN {{a}}.aum >= {HIGH_AUM} THEN 'high' WHEN {{a}}.aum >= {MEDIUM_AUM} THEN 'medium' ELSE 'low' END"
USAGE_SQL = "CASE WHEN {a}.products_held >= 4 THEN 'deep' WHEN {a}.products_held >= 2 THEN 'cross' ELSE 'single' END"


def segment_key(value, lifecycle):
    return f"{value}:{lifecycle}"


def segment_label(key):
    if key == OUTSIDE:
        return _("Not in the snapshot")
    value, _sep, lifecycle = key.partition(":")
    return f"{dict(VALUES).get(value, value)} · {dict(LIFECYCLES).get(lifecycle, lifecycle)}"


def all_segments():
    return [segment_key(v, lc) for v, _v in VALUES for lc, _lc in LIFECYCLES]


@dataclasses.dataclass
class Segment:
    key: str
    customers: int = 0
    aum: Decimal = Decimal(0)
    by_usage: dict = dataclasses.field(default_factory=dict)  # {usage: customers}

    @property
    def label(self):
        return segment_label(self.key)

    @property
    def value(self):
        return self.key.partition(":")[0]

    @property
    def lifecycle(self):
        return self.key.partition(":")[2]

    def usage_counts(self):
        return [self.by_usage.get(usage, 0) for usage, _label in USAGES]


def segment_sizes(scope: SnapshotScope, business_date):
    """[Segment] of the date in the scope, in the rules' order, only the non-empty ones."""
    if scope.empty or business_date is None:
        return []
    if markers.marker(scope.bank_id, business_date) is not None:
        # The nightly build's cells per branch × manager, summed over the scope (additive).
        where, params = scope.where("cd")
        sql = f"""
            SELECT cd.value, cd.lifecycle, cd.usage, sum(cd.customers)::int, sum(cd.aum)
            FROM reports_segmentday cd
            WHERE cd.business_date = %s AND {where}
            GROUP BY 1, 2, 3
        """
    else:
        sort_in_memory()
        where, params = scope.where("cd")
        sql = f"""
            SELECT {VALUE_SQL.format(a="cd")} AS value, cd.lifecycle_stage, {USAGE_SQL.format(a="cd")} AS usage,
                   count(*), sum(cd.aum)
            FROM reports_customerday cd
            WHERE cd.business_date = %s AND {where}
            GROUP BY 1, 2, 3
        """
    segments = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [business_date, *params])
        for value, lifecycle, usage, count, aum in cursor.fetchall():
            segment = segments.setdefault(segment_key(value, lifecycle), Segment(segment_key(value, lifecycle)))
            segment.customers += count
            segment.aum += aum or 0
            segment.by_usage[usage] = count
    order = {key: i for i, key in enumerate(all_segments())}
    return sorted(segments.values(), key=lambda s: order.get(s.key, len(order)))


@dataclasses.dataclass
class Movement:
    """The transition matrix: counts[(from, to)] of customers in segment `from` on the earlier
    date and `to` on the later one (OUTSIDE: not in the scope's snapshot of that date)."""

    rows: list  # segment keys of the earlier date, in order
    columns: list  # segment keys of the later date
    counts: dict

    def table(self):
        return [(key, [self.counts.get((key, column), 0) for column in self.columns]) for key in self.rows]

    @property
    def stayed(self):
        return sum(n for (a, b), n in self.counts.items() if a == b)

    @property
    def moved(self):
        return sum(n for (a, b), n in self.counts.items() if a != b)


def movement(scope: SnapshotScope, earlier, later):
    """The segment transition matrix of the scope from `earlier` to `later` (one statement)."""
    if scope.empty or earlier is None or later is None:
        return Movement([], [], {})
    done = markers.marker(scope.bank_id, later)
    if done is not None and done.compare_date == earlier:
        return _movement_precomputed(scope, earlier, later)
    sort_in_memory()
    where_a, params_a = scope.where("a")
    where_b, params_b = scope.where("b")
    sql = f"""
        WITH a AS (
            SELECT a.customer_id, {VALUE_SQL.format(a="a")} || ':' || a.lifecycle_stage AS seg
            FROM reports_customerday a WHERE a.business_date = %s AND {where_a}
        ), b AS (
            SELECT b.customer_id, {VALUE_SQL.format(a="b")} || ':' || b.lifecycle_stage AS seg
            FROM reports_customerday b WHERE b.business_date = %s AND {where_b}
        )
        SELECT coalesce(a.seg, %s), coalesce(b.seg, %s), count(*)
        FROM a FULL OUTER JOIN b ON a.customer_id = b.customer_id
        GROUP BY 1, 2
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [earlier, *params_a, later, *params_b, OUTSIDE, OUTSIDE])
        return _matrix(cursor.fetchall())


def _movement_precomputed(scope: SnapshotScope, earlier, later):
    """The matrix from the build's MovementDay rows: a side counts when its branch/manager is in the scope."""
    where_a, params_a = scope.where("a")
    where_b, params_b = scope.where("b")
    sql = f"""
        SELECT seg_from, seg_to, sum(customers)::int FROM (
            SELECT CASE WHEN m.seg_a IS NOT NULL AND {where_a} THEN m.seg_a ELSE %s END AS seg_from,
                   CASE WHEN m.seg_b IS NOT NULL AND {where_b} THEN m.seg_b ELSE %s END AS seg_to,
                   m.customers
            FROM reports_movementday m
            CROSS JOIN LATERAL (SELECT m.bank_id, m.branch_a AS branch_id, m.manager_a AS manager_id) a
            CROSS JOIN LATERAL (SELECT m.bank_id, m.branch_b AS branch_id, m.manager_b AS manager_id) b
            WHERE m.bank_id = %s AND m.business_date = %s AND m.compare_date = %s
        ) s
        WHERE NOT (seg_from = %s AND seg_to = %s)
        GROUP BY 1, 2
    """
    args = [*params_a, OUTSIDE, *params_b, OUTSIDE, scope.bank_id, later, earlier, OUTSIDE, OUTSIDE]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return _matrix(cursor.fetchall())


def _matrix(rows):
    counts = {}
    for seg_from, seg_to, count in rows:
        counts[(seg_from, seg_to)] = count
    order = [*all_segments(), OUTSIDE]
    rows = [key for key in order if any(a == key for a, _b in counts)]
    columns = [key for key in order if any(b == key for _a, b in counts)]
    return Movement(rows, columns, counts)


def group_filter_query(segment_key_, branch=None):
    """The customer list's query string of a segment (value band and lifecycle, branch subtree)."""
    value, _sep, lifecycle = segment_key_.partition(":")
    if value not in VALUE_FILTERS or lifecycle not in dict(LIFECYCLES):
        raise ValueError(segment_key_)
    query = QueryDict(mutable=True)
    query.update(VALUE_FILTERS[value])
    query["lifecycle"] = lifecycle
    if branch is not None:
        query["branch"] = branch.code
    return query.urlencode()
