"""Contribution / Pareto (the 80/20 rule): how much of the AUM and of the contribution the top
1 / 5 / 10 / 20 % of the customers hold, per branch and for the whole scope, on one business date.

One statement with window functions over the customer snapshot of that date: each customer is
ranked by AUM and, separately, by contribution within its branch and within the scope; rank r
of n falls in percentile bucket floor(100 (r-1) / n) + 1 (the smallest k for which the customer
is among the top ceil(n k / 100)), and the buckets' running sums give the share of the top k %
for every k (the curve) in one pass, whatever the number of customers.

"The top k %" is the top ceil(n k / 100) customers (at least one); ties are broken by customer
id so that a rerun gives the same answer. A share is of the scope's total, which may include
negative contributions (a share above 100 % is then possible and shown as it is)."""

import dataclasses
from decimal import Decimal

from django.db import connection

from reports.analyses import markers
from reports.analyses.scope import SnapshotScope
from reports.analyses.sql import sort_in_memory, visible_probe

CUTS = (1, 5, 10, 20)
# The precompute's method version from which the build writes TopCustomerDay (older dates: live).
TOP_CUSTOMERS_SINCE = 2
TOTAL = None  # the group key of the whole scope (the bank, or the filtered subtree)

_SQL = """
WITH base AS (
    SELECT cd.branch_id, cd.customer_id, cd.aum, cd.contribution
    FROM reports_customerday cd
    WHERE cd.business_date = %s AND {where}
), grouped AS (
    SELECT branch_id AS grp, customer_id, aum, contribution FROM base
    UNION ALL
    SELECT NULL::bigint, customer_id, aum, contribution FROM base
), ranked AS (
    SELECT grp, aum, contribution,
           count(*) OVER (PARTITION BY grp) AS n,
           row_number() OVER (PARTITION BY grp ORDER BY aum DESC, customer_id) AS aum_rank,
           row_number() OVER (PARTITION BY grp ORDER BY contribution DESC, customer_id) AS contribution_rank
    FROM grouped
), buckets AS (
    SELECT grp, 'aum' AS measure, (100 * (aum_rank - 1)) / n + 1 AS bucket, max(n) AS n, sum(aum) AS amount
    FROM ranked GROUP BY grp, 3
    UNION ALL
    SELECT grp, 'contribution', (100 * (contribution_rank - 1)) / n + 1, max(n), sum(contribution)
    FROM ranked GROUP BY grp, 3
)
SELECT grp, measure, bucket, n,
       sum(amount) OVER (PARTITION BY grp, measure ORDER BY bucket) AS running,
       sum(amount) OVER (PARTITION BY grp, measure) AS total
FROM buckets
ORDER BY grp NULLS FIRST, measure, bucket
"""


@dataclasses.dataclass
class ParetoGroup:
    branch_id: int | None  # None: the whole scope
    customers: int = 0
    aum_total: Decimal = Decimal(0)
    contribution_total: Decimal = Decimal(0)
    # {measure: [(bucket, running amount)]}, buckets ascending
    running: dict = dataclasses.field(default_factory=lambda: {"aum": [], "contribution": []})
    branch: object = None  # the Branch, filled by the view's one look-up

    def top_count(self, pct):
        return max(1, -(-self.customers * pct // 100)) if self.customers else 0

    def share(self, measure, pct):
        """The share (0..1, a Decimal) of `measure` held by the top `pct` % of the customers."""
        total = self.aum_total if measure == "aum" else self.contribution_total
        if not total:
            return None
        amount = Decimal(0)
        for bucket, running in self.running[measure]:
            if bucket > pct:
                break
            amount = running
        return amount / total

    def shares(self):
        return [(pct, self.top_count(pct), self.share("aum", pct), self.share("contribution", pct)) for pct in CUTS]

    def shares_percent(self):
        """shares() with the shares as percentages to one decimal place (None: no total)."""
        return [(pct, count, as_percent(aum), as_percent(contribution)) for pct, count, aum, contribution in self.shares()]

    def curve(self):
        """The 80/20 curve: [(customers %, AUM share %, contribution share %)] at every 5 % (and 1 %)."""
        points = [(0, 0.0, 0.0)]
        for pct in (1, *range(5, 101, 5)):
            aum, contribution = self.share("aum", pct), self.share("contribution", pct)
            points.append(
                (
                    pct,
                    None if aum is None else round(float(aum) * 100, 2),
                    None if contribution is None else round(float(contribution) * 100, 2),
                )
            )
        return points


def as_percent(share):
    return None if share is None else (share * 100).quantize(Decimal("0.1"))


def pareto(scope: SnapshotScope, business_date):
    """{branch id or None: ParetoGroup}: the whole scope (key None) first, then each branch.
    From the nightly build's ParetoDay rows when the date has them and the scope is the bank or
    one branch; computed from CustomerDay otherwise (a manager's book, a subtree of branches)."""
    if scope.empty or business_date is None:
        return {}
    if scope.manager_id is None and markers.marker(scope.bank_id, business_date) is not None:
        groups = _precomputed(scope, business_date)
        if groups is not None:
            return groups
    return _live(scope, business_date)


def _precomputed(scope: SnapshotScope, business_date):
    """The groups from ParetoDay; None when the scope is a subtree of several branches (not additive)."""
    if scope.branch_path is None:
        # The bank's whole curve; of each branch only the buckets the cuts read (≤ the largest cut).
        where, params = "p.branch_id IS NULL OR p.bucket <= %s", [CUTS[-1]]
    else:
        path = scope.branch_path.replace("%", r"\%").replace("_", r"\_") + "%"
        where = "p.branch_id IN (SELECT b.id FROM sysadmin_branch b WHERE b.bank_id = %s AND b.path LIKE %s)"
        params = [scope.bank_id, path]
    groups = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.branch_id, p.measure, p.bucket, p.n, p.running, p.total FROM reports_paretoday p "
            f"WHERE p.bank_id = %s AND p.business_date = %s AND ({where}) "
            "ORDER BY p.branch_id NULLS FIRST, p.measure, p.bucket",
            [scope.bank_id, business_date, *params],
        )
        _fill(groups, cursor.fetchall())
    if scope.branch_path is not None:
        if len(groups) > 1:
            return None
        for group in list(groups.values()):  # the one branch is the whole scope too
            groups = {TOTAL: dataclasses.replace(group, branch_id=TOTAL), group.branch_id: group}
    return groups


def _fill(groups, rows):
    for grp, measure, bucket, n, running, total in rows:
        group = groups.get(grp)
        if group is None:
            group = groups[grp] = ParetoGroup(grp, customers=n)
        group.running[measure].append((bucket, running))
        if measure == "aum":
            group.aum_total = total
        else:
            group.contribution_total = total


def _live(scope: SnapshotScope, business_date):
    where, params = scope.where("cd")
    groups = {}
    sort_in_memory()
    with connection.cursor() as cursor:
        cursor.execute(_SQL.format(where=where), [business_date, *params])
        _fill(groups, cursor.fetchall())
    return groups


_TOP_SQL = """
WITH ranked AS (
    SELECT cd.customer_id, cd.branch_id, cd.aum, cd.contribution,
           count(*) OVER () AS n,
           row_number() OVER (ORDER BY cd.{measure} DESC, cd.customer_id) AS rank,
           sum(cd.{measure}) OVER (ORDER BY cd.{measure} DESC, cd.customer_id) AS running,
           sum(cd.{measure}) OVER () AS total
    FROM reports_customerday cd
    WHERE cd.business_date = %s AND {where}
)
SELECT r.rank, r.customer_id, r.branch_id, r.aum, r.contribution, r.running, r.total
FROM ranked r
WHERE r.rank <= (r.n * %s + 99) / 100 AND r.customer_id IN ({visible})
ORDER BY r.rank
"""


@dataclasses.dataclass
class TopCustomer:
    rank: int
    customer_id: int
    branch_id: int
    aum: Decimal
    contribution: Decimal
    cumulative_share: Decimal | None
    customer: object = None
    branch: object = None

    @property
    def cumulative_percent(self):
        return as_percent(self.cumulative_share)


_TOP_PRECOMPUTED_SQL = """
SELECT t.{measure}_rank, t.customer_id, t.branch_id, t.aum, t.contribution, t.{measure}_running, p.total
FROM reports_topcustomerday t
JOIN reports_paretoday p ON p.bank_id = t.bank_id AND p.business_date = t.business_date
                        AND p.branch_id IS NULL AND p.measure = %s AND p.bucket = 1
{probe}
WHERE t.bank_id = %s AND t.business_date = %s AND t.{measure}_rank <= (p.n * %s + 99) / 100
ORDER BY t.{measure}_rank
"""


def top_customer_rows(scope: SnapshotScope, business_date, pct, measure, visible, *, limit=None, offset=0):
    """The top `pct` % of the scope's customers by `measure` ("aum" or "contribution") on the
    date, ranked among the whole scope, listed only where `visible` (a Customer queryset, the
    user's scope) holds them; with their cumulative share of the scope's total. For a whole bank
    from the nightly build's TopCustomerDay rows (when the date has them); ranked live otherwise."""
    if scope.empty or business_date is None:
        return []
    if measure not in ("aum", "contribution"):
        raise ValueError(measure)
    visible_sql, visible_params = visible.order_by().values("pk").query.sql_with_params()
    found = markers.marker(scope.bank_id, business_date) if scope.branch_path is None and scope.manager_id is None else None
    if found is not None and found.method_version >= TOP_CUSTOMERS_SINCE and pct <= CUTS[-1]:
        probe, probe_params = visible_probe("t", visible)  # the page's rows in rank order, each probed
        sql = _TOP_PRECOMPUTED_SQL.format(measure=measure, probe=probe)
        args = [measure, *probe_params, scope.bank_id, business_date, pct]
    else:
        sort_in_memory()
        sql, args = _top_live(scope, business_date, pct, measure, visible_sql, visible_params)
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        args += [limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [
            TopCustomer(rank, cid, bid, aum, contribution, (running / total) if total else None)
            for rank, cid, bid, aum, contribution, running, total in cursor.fetchall()
        ]


def _top_live(scope, business_date, pct, measure, visible_sql, visible_params):
    where, params = scope.where("cd")
    return _TOP_SQL.format(measure=measure, where=where, visible=visible_sql), [business_date, *params, pct, *visible_params]
