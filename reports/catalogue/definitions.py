"""The catalogue: each report says which snapshot rows it reads, the figures (columns) of its
lines, the extra sections under the main table and its charts. The drill-down, scope, filters,
comparison and export are the engine's (reports.catalogue.services), the same for every report."""

import datetime
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import BooleanField, Case, Count, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.master.models import Customer, Product, Transaction
from ocrm import reporting
from reports.catalogue import services
from reports.snapshots import rollup
from reports.snapshots.models import CustomerDay, HoldingDay, MeasureDay, RollupDay, RollupMoveDay, TransactionDay

COUNT, MONEY, RATIO = "count", "money", "ratio"


@dataclass
class Column:
    name: str
    label: str
    kind: str = COUNT
    # A ratio is worked out from two summed columns (line by line and for the total), never summed.
    ratio_of: tuple | None = None
    scale: int = 1  # minor units: shown divided by 100
    sum_of: tuple | None = None  # a total of other columns of the line (worked out, not read)


@dataclass
class Section:
    title: str
    header: list
    rows: list  # lists of cells; the first cell is a label
    kinds: list = field(default_factory=list)  # per column after the label
    total: list | None = None


@dataclass
class Chart:
    kind: str  # "bar" | "line"
    title: str
    labels: list
    datasets: list  # [{"label": ..., "data": [...]}]

    def as_json(self):
        return {"type": self.kind, "title": str(self.title), "labels": [str(x) for x in self.labels], "datasets": self.datasets}


def _choices_label(choices, value):
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def stage_label(value):
    return _choices_label(Customer.Lifecycle, value)


def tier_label(value):
    return _choices_label(Customer.Tier, value)


def star_label(value):
    return _("%(n)s stars") % {"n": value}


def category_label(value):
    return _choices_label(Product.Category, value)


def channel_label(value):
    return _choices_label(Transaction.Channel, value)


def number(value):
    return float(value) if isinstance(value, Decimal) else (value or 0)


class Report:
    key = ""
    title = ""
    description = ""
    url_name = ""
    model = CustomerDay
    uses_range = False  # a date range (transactions), not one date
    uses_product = False  # the product and currency filters apply
    # The RollupDay grain the report reads in place of CustomerDay ("" : it never does).
    rollup_grain = ""

    def __init__(self, rollup=True):
        # rollup=False: always CustomerDay, HoldingDay, TransactionDay (the tests compare both
        # paths on the same rows).
        self.rollup = rollup and bool(self.rollup_grain)
        self.per_branch = rollup

    def reads_rollup(self, filters):
        """Whether the lines come from the roll-up: the report has one, and every date it reads
        has its roll-up written (an older date, built before the roll-up existed, has not)."""
        if not self.rollup:
            return False
        written = getattr(filters, "_rollup_dates", None) or set()
        return filters.date in written and (not filters.compare or filters.compare in written)

    def model_for(self, filters):
        if self.model is CustomerDay and self.reads_rollup(filters):
            return RollupDay
        return self.model

    def grain_for(self, filters):
        return self.rollup_grain

    def rows(self, reader, filters, *, managers=False):
        """The scoped rows the lines add up (any date): the roll-up's rows of the report's grain,
        per branch where nothing needs the manager (`managers`: the lines are per manager; a
        manager's own book or a manager filter reads per manager too)."""
        per_branch = not managers and not reader.own and filters.manager is None
        model = self.model_for(filters)
        if per_branch:
            model = self.branch_model(model, filters)
        rows = services.scoped(model, reader, filters)
        if rows.model is RollupDay:
            grain = self.grain_for(filters)
            rows = rows.filter(grain=rollup.branch_grain(grain) if per_branch else grain)
        return rows

    def branch_model(self, model, filters):
        """HoldingDay / TransactionDay's per-branch table where prepare() found it written for
        every date the page reads (the caller has checked no manager is needed)."""
        if (getattr(filters, "_branch_tables", None) or {}).get(model):
            return rollup.BRANCH_TABLES[model]
        return model

    def branch_sources(self, filters):
        """{HoldingDay or TransactionDay: the dates of it the page reads}: prepare() checks their
        per-branch rows are written."""
        return {}

    def counted(self, filters, **condition):
        """How many customers (meeting the condition): counted on CustomerDay, summed on the roll-up."""
        if self.model_for(filters) is RollupDay:
            if not condition:
                return Sum("customer_count")
            return Coalesce(Sum("customer_count", filter=Q(**condition)), 0)
        return Count("id", filter=Q(**condition)) if condition else Count("id")

    def columns(self, filters):
        raise NotImplementedError

    def value_names(self, filters):
        return [c.name for c in self.columns(filters) if c.ratio_of is None and c.sum_of is None]

    def expressions(self, filters):
        raise NotImplementedError

    def facts(self, reader, filters, date, *, managers=False):
        rows = self.rows(reader, filters, managers=managers)
        if self.uses_range:
            # The range ending at the date; a comparison reads a range as long, ending at its date.
            return rows.filter(business_date__range=(date - (filters.date - filters.range_start), date))
        return rows.filter(business_date=date)

    def aggregate(self, grouped, filters):
        return grouped.order_by().annotate(**self.expressions(filters))

    def is_empty(self, level):
        return not level.lines

    def sections(self, reader, filters):
        return []

    def charts(self, reader, filters, level, sections):
        """A bar per line of the first figure (and of the comparison date)."""
        columns = self.columns(filters)
        if not columns or not level.lines or level.by == services.BY_CUSTOMER:
            return []
        first = columns[0]
        datasets = [
            {
                "label": f"{first.label} {filters.date:%Y-%m-%d}",
                "data": [number(line.values.get(first.name)) for line in level.lines],
            }
        ]
        if filters.compare:
            datasets.append(
                {
                    "label": f"{first.label} {filters.compare:%Y-%m-%d}",
                    "data": [number((line.compared or {}).get(first.name)) for line in level.lines],
                }
            )
        return [Chart("bar", first.label, [line.label for line in level.lines], datasets)]


# --- customers by stage, tier, star ---------------------------------------------------------------

DIMENSIONS = {
    "stage": ("lifecycle_stage", gettext_lazy("Lifecycle stage"), [c.value for c in Customer.Lifecycle], stage_label),
    "tier": ("tier", gettext_lazy("Tier"), [c.value for c in Customer.Tier], tier_label),
    "star": ("star_rating", gettext_lazy("Stars"), [1, 2, 3, 4, 5], star_label),
}


class CustomersReport(Report):
    key = "customers"
    title = gettext_lazy("Customers by stage, tier and stars")
    description = gettext_lazy(
        "How many customers are at each lifecycle stage, tier or star rating, and how they moved between two dates."
    )
    url_name = "reports:customers_report"
    rollup_grain = "stage"

    def grain_for(self, filters):
        return filters.dim if filters.dim in DIMENSIONS else "stage"

    def dimension(self, filters):
        return DIMENSIONS.get(filters.dim) or DIMENSIONS["stage"]

    def columns(self, filters):
        column, _label, values, label_of = self.dimension(filters)
        return [Column("customers", _("Customers"))] + [Column(f"d_{value}", label_of(value)) for value in values]

    def expressions(self, filters):
        column, _label, values, _label_of = self.dimension(filters)
        found = {"customers": self.counted(filters)}
        for value in values:
            found[f"d_{value}"] = self.counted(filters, **{column: value})
        return found

    def sections(self, reader, filters):
        if not filters.compare:
            return []
        column, label, values, label_of = self.dimension(filters)
        if self.rollup and rollup.has_movement(reader.bank_id, filters.date, filters.compare):
            found = self.rolled_movement(reader, filters, values)
        else:
            found = self.movement(reader, filters, column)
        matrix = {(before, after): n for before, after, n in found if after is not None}
        gone = {before: n for before, after, n in found if after is None}
        header = [
            _("%(dim)s on %(date)s") % {"dim": label, "date": f"{filters.compare:%Y-%m-%d}"},
            *[label_of(v) for v in values],
            _("Left"),
            _("Total"),
        ]
        rows = []
        for before_value in [*values, None]:
            cells = [matrix.get((before_value, v), 0) for v in values]
            left = gone.get(before_value, 0) if before_value is not None else 0
            name = label_of(before_value) if before_value is not None else _("New (not in the earlier snapshot)")
            rows.append([name, *cells, left, sum(cells) + left])
        total = [_("Total"), *[sum(r[i] for r in rows) for i in range(1, len(header))]]
        title = _("Movement from %(before)s to %(after)s") % {
            "before": f"{filters.compare:%Y-%m-%d}",
            "after": f"{filters.date:%Y-%m-%d}",
        }
        return [Section(title, header, rows, [COUNT] * (len(header) - 1), total)]

    def movement(self, reader, filters, column):
        """[(before, after, customers)]: one full join of the two days' rows within the same
        scope; a customer only in the later day is new here (joined, or moved in), one only in
        the earlier day has left."""
        rows = services.scoped(CustomerDay, reader, filters)
        now_sql, now_params = rows.filter(business_date=filters.date).values("customer_id", column).query.sql_with_params()
        then_sql, then_params = rows.filter(business_date=filters.compare).values("customer_id", column).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT b.{column}, n.{column}, count(*)
                      FROM ({now_sql}) n FULL JOIN ({then_sql}) b ON b.customer_id = n.customer_id
                     GROUP BY 1, 2""",
                [*now_params, *then_params],
            )
            return cursor.fetchall()

    def rolled_movement(self, reader, filters, values):
        """The same from the nightly movement roll-up (RollupMoveDay): each side counts where its
        own branch and manager are in the scope, as each day's rows are scoped before the join."""
        now = Q(branch_id__isnull=False) & services.scope_q(reader, filters)
        then = Q(then_branch_id__isnull=False) & services.scope_q(
            reader, filters, branch_field="then_branch_id", manager_field="then_manager_id"
        )
        grain = self.grain_for(filters)
        if not reader.own and filters.manager is None:
            grain = rollup.branch_grain(grain)  # per branch on both sides: no manager in the scope
        rows = (
            RollupMoveDay.objects.filter(
                bank_id=reader.bank_id, business_date=filters.date, compare_date=filters.compare, grain=grain
            )
            .annotate(
                now_in=Case(When(now, then=Value(True)), default=Value(False), output_field=BooleanField()),
                then_in=Case(When(then, then=Value(True)), default=Value(False), output_field=BooleanField()),
            )
            .filter(Q(now_in=True) | Q(then_in=True))
            .values("before_value", "after_value", "now_in", "then_in")
            .order_by()
            .annotate(n=Sum("customer_count"))
        )
        typed = {str(value): value for value in values}  # stars are numbers, stored as text
        found = {}
        for row in rows:
            before = row["before_value"] if row["then_in"] else None
            after = row["after_value"] if row["now_in"] else None
            key = (typed.get(before, before), typed.get(after, after))  # None stays None
            found[key] = found.get(key, 0) + row["n"]
        return [(before, after, n) for (before, after), n in found.items()]


# --- AUM, liabilities, fee income, contribution ---------------------------------------------------


class BalancesReport(Report):
    key = "balances"
    title = gettext_lazy("AUM, liabilities, fee income and contribution")
    description = gettext_lazy(
        "Assets under management, liabilities, fee income and contribution by branch, manager and product, with their trend."
    )
    url_name = "reports:balances_report"
    uses_product = True
    rollup_grain = "stage"  # any grain holds every customer once

    def holdings(self, filters):
        return filters.product is not None or bool(filters.currency)

    def model_for(self, filters):
        return HoldingDay if self.holdings(filters) else super().model_for(filters)

    def columns(self, filters):
        if self.holdings(filters):
            return [
                Column("balance", _("Balance in base currency"), MONEY),
                Column("holders", _("Customers")),
                Column("accounts", _("Accounts")),
            ]
        return [
            Column("aum", _("AUM"), MONEY),
            Column("liabilities", _("Liabilities"), MONEY),
            Column("fee_income", _("Fee income"), MONEY),
            Column("contribution", _("Contribution"), MONEY),
            Column("customers", _("Customers")),
        ]

    def expressions(self, filters):
        if self.holdings(filters):
            return {"balance": Sum("balance_base"), "holders": Sum("holders"), "accounts": Sum("accounts")}
        return {
            "aum": Sum("aum"),
            "liabilities": Sum("liabilities"),
            "fee_income": Sum("fee_income"),
            "contribution": Sum("contribution"),
            "customers": self.counted(filters),
        }

    def trend_days(self, filters):
        """The month ends of the trend (12 before the date, or from `date_from`) and the date itself."""
        start = filters.date_from if filters.date_from and filters.date_from < filters.date else None
        if start is None:
            start = filters.date - datetime.timedelta(days=services.TREND_DAYS)
        days, day = [filters.date], filters.date.replace(day=1) - datetime.timedelta(days=1)
        while day >= start and len(days) < 36:
            days.append(day)
            day = day.replace(day=1) - datetime.timedelta(days=1)
        return days

    def branch_sources(self, filters):
        return {HoldingDay: [*self.trend_days(filters), filters.compare]}

    def holding_rows(self, reader, filters):
        """The scoped holdings, per branch where no manager is needed."""
        model = HoldingDay if reader.own or filters.manager is not None else self.branch_model(HoldingDay, filters)
        return services.scoped(model, reader, filters)

    def trend(self, reader, filters):
        """The trend's month ends read from the holdings (a few rows per branch, not one per
        customer): assets and liabilities, or the balance of the chosen product / currency."""
        days = self.trend_days(filters)
        rows = self.holding_rows(reader, filters).filter(business_date__in=days)
        grouped = rows.values("business_date").order_by("business_date")
        if self.holdings(filters):
            return [(p["business_date"], {"balance": p["balance"]}) for p in grouped.annotate(balance=Sum("balance_base"))]
        points = grouped.annotate(
            aum=Sum("balance_base", filter=Q(category=Product.Category.ASSET)),
            liabilities=Sum("balance_base", filter=Q(category=Product.Category.LIABILITY)),
        )
        return [(p["business_date"], {"aum": p["aum"], "liabilities": p["liabilities"]}) for p in points]

    def by_product(self, reader, filters):
        rows = (
            self.holding_rows(reader, filters)
            .filter(business_date=filters.date)
            .values("product_id", "category")
            .order_by()
            .annotate(holders=Sum("holders"), accounts=Sum("accounts"), balance=Sum("balance_base"))
        )
        rows = sorted(rows, key=lambda r: -(r["balance"] or 0))
        products = {p.pk: p for p in Product.objects.filter(pk__in=[r["product_id"] for r in rows])}
        lines = []
        for row in rows:
            product = products.get(row["product_id"])
            name = services.product_label(product) if product is not None else _("Product no longer offered")
            lines.append([name, category_label(row["category"]), row["holders"], row["accounts"], row["balance"]])
        total = [_("Total"), "", sum(r[2] or 0 for r in lines), sum(r[3] or 0 for r in lines), sum(r[4] or 0 for r in lines)]
        header = [_("Product"), _("Category"), _("Customers"), _("Accounts"), _("Balance in base currency")]
        return Section(_("By product"), header, lines, ["text", COUNT, COUNT, MONEY], total)

    def sections(self, reader, filters):
        filters._trend = self.trend(reader, filters)
        header = [_("Business date"), *[c.label for c in self.columns(filters) if c.kind == MONEY][:2]]
        names = ["balance"] if self.holdings(filters) else ["aum", "liabilities"]
        rows = [[f"{day:%Y-%m-%d}", *[values.get(n) for n in names]] for day, values in filters._trend]
        return [self.by_product(reader, filters), Section(_("Trend"), header, rows, [MONEY] * len(names))]

    def charts(self, reader, filters, level, sections):
        charts = super().charts(reader, filters, level, sections)
        trend = getattr(filters, "_trend", None) or []
        if trend:
            names = ["balance"] if self.holdings(filters) else ["aum", "liabilities"]
            labels = {c.name: c.label for c in self.columns(filters)}
            charts.append(
                Chart(
                    "line",
                    _("Trend"),
                    [f"{day:%Y-%m-%d}" for day, _values in trend],
                    [{"label": str(labels[n]), "data": [number(values.get(n)) for _day, values in trend]} for n in names],
                )
            )
        return charts


# --- product penetration and cross-sell -----------------------------------------------------------


class PenetrationReport(Report):
    key = "penetration"
    title = gettext_lazy("Product penetration and cross-sell")
    description = gettext_lazy(
        "Products per customer, the share of customers holding two or more, and which product categories are held together."
    )
    url_name = "reports:penetration_report"
    rollup_grain = "products"

    def columns(self, filters):
        return [
            Column("customers", _("Customers")),
            Column("products", _("Products held")),
            Column("cross", _("Customers with 2+ products")),
            Column("per_customer", _("Products per customer"), RATIO, ratio_of=("products", "customers")),
            Column("cross_share", _("Cross-sell rate"), RATIO, ratio_of=("cross", "customers")),
        ]

    def expressions(self, filters):
        products = Sum("product_count") if self.model_for(filters) is RollupDay else Sum("products_held")
        return {"customers": self.counted(filters), "products": products, "cross": self.counted(filters, products_held__gte=2)}

    def sections(self, reader, filters):
        rows = self.rows(reader, filters).filter(business_date=filters.date)
        held, pairs, singles = {}, {}, {}
        # One grouped scan gives both the distribution and the category combinations.
        for row in rows.values("products_held", "product_categories").order_by().annotate(n=self.counted(filters)):
            bucket = min(row["products_held"] or 0, 5)
            held[bucket] = held.get(bucket, 0) + row["n"]
            categories = sorted({c for c in (row["product_categories"] or "").split(",") if c})
            for category in categories:
                singles[category] = singles.get(category, 0) + row["n"]
            for first, second in itertools.combinations(categories, 2):
                pairs[(first, second)] = pairs.get((first, second), 0) + row["n"]
        labels = {0: "0", 1: "1", 2: "2", 3: "3", 4: "4", 5: "5+"}
        distribution = [[labels[k], held.get(k, 0)] for k in range(6)]
        pair_rows = [
            [f"{category_label(a)} + {category_label(b)}", n] for (a, b), n in sorted(pairs.items(), key=lambda item: -item[1])
        ]
        single_rows = [[category_label(c), n] for c, n in sorted(singles.items(), key=lambda item: -item[1])]
        total = sum(n for _label, n in distribution)
        filters._distribution = distribution
        return [
            Section(
                _("Customers by number of products held"),
                [_("Products held"), _("Customers")],
                distribution,
                [COUNT],
                [_("Total"), total],
            ),
            Section(_("Customers holding each category"), [_("Category"), _("Customers")], single_rows, [COUNT]),
            Section(_("Categories held together"), [_("Categories"), _("Customers")], pair_rows, [COUNT]),
        ]

    def charts(self, reader, filters, level, sections):
        charts = super().charts(reader, filters, level, sections)
        distribution = getattr(filters, "_distribution", None)
        if distribution and any(n for _label, n in distribution):
            charts.append(
                Chart(
                    "bar",
                    _("Customers by number of products held"),
                    [d[0] for d in distribution],
                    [{"label": str(_("Customers")), "data": [d[1] for d in distribution]}],
                )
            )
        return charts


# --- transactions by channel and type -------------------------------------------------------------


class TransactionsReport(Report):
    key = "transactions"
    title = gettext_lazy("Transactions by channel and type")
    description = gettext_lazy("How many transactions, for how much, through which channel and of which type, over a date range.")
    url_name = "reports:transactions_report"
    model = TransactionDay
    uses_range = True
    uses_product = True

    def columns(self, filters):
        return [Column("count", _("Transactions")), Column("amount", _("Amount in base currency"), MONEY)]

    def branch_sources(self, filters):
        span = (filters.date - filters.range_start).days
        if span > 62:  # a long range: TransactionDay (not worth a probe per day)
            return {}
        ends = [d for d in (filters.date, filters.compare) if d]
        return {TransactionDay: [end - datetime.timedelta(days=n) for end in ends for n in range(span + 1)]}

    def expressions(self, filters):
        return {"count": Sum("count"), "amount": Sum("amount_base")}

    def sections(self, reader, filters):
        rows = (
            self.facts(reader, filters, filters.date)
            .values("channel", "txn_type")
            .order_by()
            .annotate(count=Sum("count"), amount=Sum("amount_base"))
        )
        lines = sorted(
            ([channel_label(r["channel"]), r["txn_type"], r["count"], r["amount"]] for r in rows),
            key=lambda r: (r[0], -(r[2] or 0)),
        )
        by_channel = {}
        for line in lines:
            by_channel[line[0]] = by_channel.get(line[0], 0) + (line[2] or 0)
        filters._channels = by_channel
        total = [_("Total"), "", sum(r[2] or 0 for r in lines), sum(r[3] or 0 for r in lines)]
        header = [_("Channel"), _("Type"), _("Transactions"), _("Amount in base currency")]
        return [Section(_("By channel and type"), header, lines, ["text", COUNT, MONEY], total)]

    def charts(self, reader, filters, level, sections):
        charts = super().charts(reader, filters, level, sections)
        channels = getattr(filters, "_channels", None)
        if channels:
            charts.append(
                Chart(
                    "bar",
                    _("Transactions by channel"),
                    list(channels),
                    [{"label": str(_("Transactions")), "data": list(channels.values())}],
                )
            )
        return charts


# --- the measures other apps contribute -----------------------------------------------------------


def measure_label(key):
    try:
        return str(reporting.measure(key).label)
    except KeyError:
        return _("Figure no longer collected")


def measure_unit(key):
    try:
        return reporting.measure(key).unit
    except KeyError:
        return reporting.Measure.COUNT


class MeasuresReport(Report):
    key = "measures"
    title = gettext_lazy("Campaigns, service requests and other figures")
    description = gettext_lazy(
        "The figures other parts of the system add to the nightly snapshot: campaign conversions, "
        "service requests, cross-border and profit-sharing figures."
    )
    url_name = "reports:measures_report"
    model = MeasureDay

    def keys(self, reader, filters):
        if not hasattr(filters, "_measure_keys"):
            rows = services.scoped(MeasureDay, reader, filters).filter(
                business_date__in=[d for d in (filters.date, filters.compare) if d]
            )
            keys = sorted(rows.values_list("measure", flat=True).order_by().distinct())
            filters._measure_keys = keys
        return filters._measure_keys

    def columns(self, filters):
        keys = getattr(filters, "_measure_keys", [])
        columns = []
        for index, key in enumerate(keys):
            amount = measure_unit(key) == reporting.Measure.AMOUNT
            columns.append(Column(f"m{index}", measure_label(key), MONEY if amount else COUNT, scale=100 if amount else 1))
        return columns

    def expressions(self, filters):
        keys = getattr(filters, "_measure_keys", [])
        return {f"m{index}": Sum("value", filter=Q(measure=key)) for index, key in enumerate(keys)}

    def aggregate(self, grouped, filters):
        if not getattr(filters, "_measure_keys", []):
            return []
        return super().aggregate(grouped, filters)


class MeasureSetReport(Report):
    """A dedicated report over a fixed set of the measures apps register (ocrm.reporting), summed
    over a date range (`date_from`..`date`; one day by default): one column per measure, ratios
    and totals worked out from the summed parts, a table and a line chart by day. A measure not
    registered (its app has not landed) is a column of nothing, never an error."""

    model = MeasureDay
    uses_range = True
    measure_keys = ()
    ratios = ()  # (name, label, numerator key, denominator key)
    sums = ()  # (name, label, keys)

    def _name(self, key):
        return f"m{self.measure_keys.index(key)}"

    def columns(self, filters):
        columns = []
        for key in self.measure_keys:
            amount = measure_unit(key) == reporting.Measure.AMOUNT
            columns.append(Column(self._name(key), measure_label(key), MONEY if amount else COUNT, scale=100 if amount else 1))
        for name, label, keys in self.sums:
            amount = measure_unit(keys[0]) == reporting.Measure.AMOUNT
            columns.append(Column(name, str(label), MONEY if amount else COUNT, sum_of=tuple(self._name(k) for k in keys)))
        for name, label, top, bottom in self.ratios:
            columns.append(Column(name, str(label), RATIO, ratio_of=(self._name(top), self._name(bottom))))
        return columns

    def expressions(self, filters):
        return {self._name(key): Sum("value", filter=Q(measure=key)) for key in self.measure_keys}

    def facts(self, reader, filters, date, *, managers=False):
        return super().facts(reader, filters, date, managers=managers).filter(measure__in=self.measure_keys)

    def by_day(self, reader, filters):
        rows = self.facts(reader, filters, filters.date).values("business_date").order_by("business_date")
        return [(row.pop("business_date"), row) for row in rows.annotate(**self.expressions(filters))]

    def sections(self, reader, filters):
        columns = [c for c in self.columns(filters) if c.ratio_of is None]
        days = self.by_day(reader, filters)
        for _day, values in days:
            _finish(values, columns)
        filters._days = days
        rows = [[f"{day:%Y-%m-%d}", *[values.get(c.name) for c in columns]] for day, values in days]
        total = [_("Total"), *[sum(r[i + 1] or 0 for r in rows) for i in range(len(columns))]]
        header = [_("Business date"), *[c.label for c in columns]]
        return [Section(_("By day"), header, rows, [c.kind for c in columns], total if rows else None)]

    def charts(self, reader, filters, level, sections):
        charts = super().charts(reader, filters, level, sections)
        days = getattr(filters, "_days", None) or []
        if len(days) > 1:
            columns = [c for c in self.columns(filters) if c.ratio_of is None and c.sum_of is None]
            charts.append(
                Chart(
                    "line",
                    _("By day"),
                    [f"{day:%Y-%m-%d}" for day, _values in days],
                    [{"label": str(c.label), "data": [number(v.get(c.name)) for _d, v in days]} for c in columns],
                )
            )
        return charts


class CampaignResultsReport(MeasureSetReport):
    key = "campaigns"
    title = gettext_lazy("Campaign results")
    description = gettext_lazy("Campaign responses and conversions by branch and manager over a date range.")
    url_name = "reports:campaigns_report"
    measure_keys = ("campaigns.responses", "campaigns.conversions")
    ratios = (("conversion_rate", gettext_lazy("Conversions per response"), "campaigns.conversions", "campaigns.responses"),)


class ServiceRequestsReport(MeasureSetReport):
    key = "servicerequests"
    title = gettext_lazy("Service requests")
    description = gettext_lazy("Service requests opened and completed by branch and manager over a date range.")
    url_name = "reports:servicerequests_report"
    measure_keys = ("servicerequests.opened", "servicerequests.completed")


class CrossBorderReport(MeasureSetReport):
    key = "crossborder"
    title = gettext_lazy("Cross-border statistics")
    description = gettext_lazy(
        "Cross-border requests completed by the servicing branch and how many within the service time, over a date range."
    )
    url_name = "reports:crossborder_report"
    measure_keys = ("crossborder.requests_completed", "crossborder.requests_sla_met")
    ratios = (
        (
            "sla_rate",
            gettext_lazy("Share within the service time"),
            "crossborder.requests_sla_met",
            "crossborder.requests_completed",
        ),
    )


class ProfitSharingReport(MeasureSetReport):
    key = "profitsharing"
    title = gettext_lazy("Profit-sharing totals")
    description = gettext_lazy(
        "The shares of the monthly profit statements by branch and manager, as originating and as servicing side "
        "(booked on each month's last day)."
    )
    url_name = "reports:profitsharing_report"
    measure_keys = ("profitsharing.originating_share", "profitsharing.servicing_share")
    sums = (("shares_total", gettext_lazy("Total shares"), measure_keys),)


REPORTS = {
    report.key: report
    for report in (
        CustomersReport(),
        BalancesReport(),
        PenetrationReport(),
        TransactionsReport(),
        MeasuresReport(),
        CampaignResultsReport(),
        ServiceRequestsReport(),
        CrossBorderReport(),
        ProfitSharingReport(),
    )
}


def prepare(report, reader, filters):
    """What a report needs to know before its columns (the measures present) and its rows (the
    dates whose roll-up is written: one statement)."""
    if isinstance(report, MeasuresReport) and filters.date is not None:
        report.keys(reader, filters)
    reads_lines = filters.by != services.BY_CUSTOMER and report.model_for(filters) is not HoldingDay
    if report.rollup and filters.date is not None and reader.scope is not None and reads_lines:
        filters._rollup_dates = rollup.dates_with_rollup(reader.bank_id, [filters.date, filters.compare])
    per_branch = report.per_branch and not reader.own and filters.manager is None and filters.by != services.BY_CUSTOMER
    if filters.date is not None and reader.scope is not None and per_branch:
        filters._branch_tables = {
            model: rollup.branch_complete(model, reader.bank_id, dates) for model, dates in report.branch_sources(filters).items()
        }


@dataclass
class Result:
    """Everything a report page, its export and a scheduled delivery show."""

    report: Report
    filters: object
    columns: list
    level: object
    sections: list
    charts: list

    @property
    def empty(self):
        return not self.level.lines


def _finish(values, columns):
    """Minor units shown as amounts; ratios worked out from the line's own sums."""
    if values is None:
        return None
    for column in columns:
        if column.scale != 1 and values.get(column.name) is not None:
            values[column.name] = Decimal(values[column.name]) / column.scale
    for column in columns:
        if column.sum_of:
            values[column.name] = sum((values.get(name) or 0) for name in column.sum_of)
    for column in columns:
        if column.ratio_of:
            top, bottom = (values.get(name) or 0 for name in column.ratio_of)
            values[column.name] = (Decimal(top) / Decimal(bottom)).quantize(Decimal("0.01")) if bottom else None
    return values


def run(report, reader, filters):
    """The report for the reader and the filters: the lines of the level, the sections, the charts."""
    prepare(report, reader, filters)
    if filters.date is None or reader.scope is None:
        level = services.Level(filters.by, [], {})
        return Result(report, filters, report.columns(filters), level, [], [])
    level = services.level_lines(reader, filters, report)
    if level.by == services.BY_CUSTOMER:
        columns = customer_columns()
        sections = []
    else:
        columns = report.columns(filters)
        for line in level.lines:
            _finish(line.values, columns)
            _finish(line.compared, columns)
        _finish(level.total, columns)
        _finish(level.compared_total, columns)
        sections = report.sections(reader, filters)
    charts = report.charts(reader, filters, level, sections)
    return Result(report, filters, columns, level, sections, charts)


def customer_columns():
    return [
        Column("lifecycle_stage", _("Lifecycle stage"), "text"),
        Column("tier", _("Tier"), "text"),
        Column("star_rating", _("Stars")),
        Column("aum", _("AUM"), MONEY),
        Column("liabilities", _("Liabilities"), MONEY),
        Column("contribution", _("Contribution"), MONEY),
        Column("fee_income", _("Fee income"), MONEY),
        Column("products_held", _("Products held")),
    ]


def shown(column, value):
    """A cell's value as a person reads it (choice labels; numbers stay numbers for XLSX)."""
    if column.name == "lifecycle_stage":
        return stage_label(value)
    if column.name == "tier":
        return tier_label(value)
    return value


def table_rows(result):
    """Header, lines and total of the main table, as exported (numbers stay numbers)."""
    columns = result.columns
    compare = result.filters.compare and result.level.by != services.BY_CUSTOMER
    header = [_("Customer") if result.level.by == services.BY_CUSTOMER else _("Line")]
    for column in columns:
        header.append(str(column.label))
        if compare:
            header.append(f"{column.label} {result.filters.compare:%Y-%m-%d}")
            header.append(_("Difference"))
    yield header
    for line in [*result.level.lines, None]:
        if line is None:
            values, before, label = result.level.total, result.level.compared_total, _("Total")
        else:
            values, before, label = line.values, line.compared, line.label
        row = [label]
        for column in columns:
            value = values.get(column.name)
            row.append(shown(column, value))
            if compare:
                earlier = (before or {}).get(column.name)
                row.append(earlier)
                row.append(None if value is None or earlier is None else value - earlier)
        yield row


def formatted(kind, value):
    """A cell as the page shows it."""
    if value is None or value == "":
        return ""
    if kind == MONEY:
        return f"{Decimal(value):,.2f}"
    if kind == RATIO:
        return f"{Decimal(value):,.2f}"
    if kind == COUNT and isinstance(value, (int, Decimal, float)):
        return f"{value:,}"
    return str(value)


def page_table(result):
    """The main table as the page shows it: header, lines (label, link, cells), total."""
    columns = result.columns
    compare = bool(result.filters.compare) and result.level.by != services.BY_CUSTOMER
    header = []
    for column in columns:
        header.append(str(column.label))
        if compare:
            header.append(f"{column.label} {result.filters.compare:%Y-%m-%d}")
            header.append(_("Difference"))

    def cells(values, before):
        found = []
        for column in columns:
            value = values.get(column.name) if values else None
            found.append((formatted(column.kind, shown(column, value)), column.kind != "text"))
            if compare:
                earlier = (before or {}).get(column.name)
                change = None if value is None or earlier is None else value - earlier
                found.append((formatted(column.kind, earlier), True))
                found.append((formatted(column.kind, change), True))
        return found

    lines = [(line.label, line.link, cells(line.values, line.compared)) for line in result.level.lines]
    total = cells(result.level.total, result.level.compared_total)
    return header, lines, total


def section_table(section):
    kinds = section.kinds

    def cells(row):
        return [str(row[0])] + [formatted(kinds[i] if i < len(kinds) else COUNT, v) for i, v in enumerate(row[1:])]

    rows = [cells(row) for row in section.rows]
    total = cells(section.total) if section.total else None
    return {"title": section.title, "header": [str(h) for h in section.header], "rows": rows, "total": total}
