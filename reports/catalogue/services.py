"""The report pages' engine: whose figures (the data scope), which rows of the snapshot tables
(the filters), and the lines of a drill-down level (bank → branch subtree → branch → manager →
customers), each a fixed number of grouped queries whatever the size of the bank.

Scope: a head-office role reads its whole bank, a supervisor the subtree of their branch, a
customer manager their own book (snapshot rows whose manager_id is theirs). A branch or a
manager named in the filters outside that scope is NotVisible (a 404). The last step lists
CustomerDay rows of customers that Customer.objects.visible_to(user) shows.

The lines of a level are the children of the node (each summing its whole subtree) and, when
the node itself holds rows, a line for the node alone; a branch without children breaks down by
manager. Totals are the sum of the lines shown."""

import datetime
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections
from django.db.models import BigIntegerField, Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Sum
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from customers.master.models import Customer, Product
from ocrm import parameters
from ocrm.errors import NotVisible
from ocrm.scoping import scope_of
from reports.snapshots.models import CustomerDay, SnapshotRun
from sysadmin.org.models import Bank, Branch, Staff

CUSTOMER_PAGE = 100
TREND_DAYS = 366  # the trend's default reach: the month ends of a year
BY_BRANCH, BY_MANAGER, BY_CUSTOMER = "branch", "manager", "customer"


# --- who reads ------------------------------------------------------------------------------------


@dataclass
class Reader:
    """The user's scope over the snapshots: 'bank', 'subtree' or 'own' (None: nothing)."""

    user: object
    scope: str | None
    bank_id: int | None
    top: Branch | None  # a supervisor's branch; None for the whole bank or a manager's book

    @classmethod
    def of(cls, user):
        scope = scope_of(user)
        if scope == "all":
            scope = "bank"
        bank_id = getattr(user, "bank_id", None)
        if bank_id is None:
            scope = None
        top = user.branch if scope == "subtree" else None
        return cls(user, scope, bank_id, top)

    @property
    def own(self):
        return self.scope == "own"

    @property
    def sees_tree(self):
        return self.scope in ("bank", "subtree")


def branch_label(branch):
    if branch is None:
        return ""
    name = branch.name_en if get_language() == "en" and branch.name_en else branch.name_local
    return f"{branch.code} {name}"


def bank_label(bank):
    return bank.name_en if get_language() == "en" and bank.name_en else bank.name_local


def product_label(product):
    name = product.name_en if get_language() == "en" and product.name_en else product.name_local
    return f"{product.code} {name}"


# --- the filters ----------------------------------------------------------------------------------


@dataclass
class Filters:
    """What a report page reads: the business date, a comparison date, a range for trends, the
    node of the drill-down and its step, a manager, a product and a currency."""

    date: datetime.date | None
    compare: datetime.date | None = None
    date_from: datetime.date | None = None
    branch: Branch | None = None
    exact: bool = False  # the node's own rows only (not its children's)
    manager: Staff | None = None
    product: Product | None = None
    currency: str = ""
    by: str = BY_BRANCH
    dim: str = ""
    page: int = 1
    everything: bool = False  # the customers step in full (an export), not one page
    query: QueryDict = field(default_factory=QueryDict)  # the page's query string (links keep it)

    def link(self, **changes):
        """The page's query string with `changes` (None removes a key): drill-down links keep every
        other filter."""
        query = self.query.copy()
        for name in ("export", "page"):
            query.pop(name, None)
        for name, value in changes.items():
            query.pop(name, None)
            if value not in (None, ""):
                query[name] = str(value)
        return "?" + query.urlencode()

    @property
    def range_start(self):
        if self.date is None:
            return None
        return self.date_from if self.date_from and self.date_from <= self.date else self.date


def latest_date(bank_id):
    """The newest business date with a finished snapshot of the bank (or with customer rows)."""
    if bank_id is None:
        return None
    done = (
        SnapshotRun.objects.filter(bank_id=bank_id, status=SnapshotRun.Status.DONE)
        .order_by("-business_date")
        .values_list("business_date", flat=True)
        .first()
    )
    if done is not None:
        return done
    return CustomerDay.objects.filter(bank_id=bank_id).aggregate(latest=Max("business_date"))["latest"]


def as_of(bank_id, business_date):
    """When the snapshot of that date was finished (None: not recorded)."""
    if bank_id is None or business_date is None:
        return None
    return (
        SnapshotRun.objects.filter(bank_id=bank_id, business_date=business_date, status=SnapshotRun.Status.DONE)
        .values_list("finished_at", flat=True)
        .first()
    )


def resolve(reader, cleaned, query):
    """Filters from a valid FilterForm's cleaned data, the branch and manager checked against the
    reader's scope (NotVisible when outside it)."""
    branch = cleaned.get("branch")
    manager = cleaned.get("manager")
    if branch is not None:
        branch = visible_branch(reader, branch)
    if manager is not None:
        manager = visible_manager(reader, manager)
    by = cleaned.get("by") or (BY_MANAGER if reader.own else BY_BRANCH)
    if reader.own and by == BY_BRANCH:
        by = BY_MANAGER
    if manager is not None and by != BY_CUSTOMER:
        by = BY_MANAGER
    product = cleaned.get("product")
    if product is not None:
        product = Product.objects.filter(pk=product, bank_id=reader.bank_id).first()
        if product is None:
            raise NotVisible
    return Filters(
        date=cleaned.get("date") or latest_date(reader.bank_id),
        compare=cleaned.get("compare"),
        date_from=cleaned.get("date_from"),
        branch=branch,
        exact=bool(cleaned.get("exact")) and branch is not None,
        manager=manager,
        product=product,
        currency=(cleaned.get("currency") or "").upper(),
        by=by,
        dim=cleaned.get("dim") or "",
        page=cleaned.get("page") or 1,
        query=query,
    )


def visible_branch(reader, branch_id):
    if not reader.sees_tree:
        raise NotVisible
    branch = Branch.objects.filter(pk=branch_id, bank_id=reader.bank_id).first()
    if branch is None or (reader.top is not None and not branch.path.startswith(reader.top.path)):
        raise NotVisible
    return branch


def visible_manager(reader, staff_id):
    if reader.scope is None:
        raise NotVisible
    if reader.own:
        if staff_id != reader.user.pk:
            raise NotVisible
        return reader.user
    staff = Staff.objects.filter(pk=staff_id, bank_id=reader.bank_id).select_related("branch").first()
    if staff is None:
        raise NotVisible
    if reader.top is not None and (staff.branch is None or not staff.branch.path.startswith(reader.top.path)):
        raise NotVisible
    return staff


# --- the rows of the snapshot tables -------------------------------------------------------------


def node_of(reader, filters):
    return filters.branch if filters.branch is not None else reader.top


def scope_q(reader, filters, node=None, *, manager=True, branch_field="branch_id", manager_field="manager_id"):
    """The condition on a row's branch and manager columns (named by the caller: a movement
    roll-up row has one pair per date) for the reader's scope, the node and the manager."""
    condition = Q()
    if reader.own:
        condition &= Q(**{manager_field: reader.user.pk})
    node = node if node is not None else node_of(reader, filters)
    if node is not None:
        if filters.exact and node == filters.branch:
            condition &= Q(**{branch_field: node.pk})
        else:
            subtree = Branch.objects.filter(bank_id=reader.bank_id, path__startswith=node.path).values("id")
            condition &= Q(**{f"{branch_field}__in": subtree})
    if manager and filters.manager is not None:
        condition &= Q(**{manager_field: filters.manager.pk})
    return condition


def scoped(model, reader, filters, node=None, *, manager=True):
    """The snapshot rows of `model` the reader may count, for the node (the filters' branch, else
    the reader's top), the manager, and (holdings, transactions) the product and the currency.
    The date is left to the caller."""
    if reader.scope is None:
        return model.objects.none()
    rows = model.objects.filter(bank_id=reader.bank_id).filter(scope_q(reader, filters, node, manager=manager))
    names = {f.name for f in model._meta.fields}
    if filters.product is not None and "product_id" in names:
        rows = rows.filter(product_id=filters.product.pk)
    if filters.currency and "currency" in names:
        rows = rows.filter(currency=filters.currency)
    return rows


# --- the lines of one drill-down level ------------------------------------------------------------


@dataclass
class Line:
    key: object
    label: str
    values: dict
    link: str = ""
    compared: dict | None = None


@dataclass
class Level:
    """The lines of one level of the drill-down and what leads to the next."""

    by: str
    lines: list
    total: dict
    compared_total: dict | None = None
    note: str = ""
    customers: int | None = None  # the customers step: how many in all (pages of CUSTOMER_PAGE)
    pages: int = 1


def total_of(lines, names, attribute="values"):
    total = {}
    for line in lines:
        values = getattr(line, attribute) or {}
        for name in names:
            total[name] = (total.get(name) or 0) + (values.get(name) or 0)
    return total


def staff_names(ids):
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {
        s.pk: s.display_name
        for s in Staff.objects.filter(pk__in=ids).only("id", "name_local", "first_name", "last_name", "username")
    }


def level_lines(reader, filters, report):
    """The lines of the level the filters point at, with their totals and comparison."""
    names = report.value_names(filters)
    if filters.by == BY_CUSTOMER:
        return customer_lines(reader, filters, report)

    def grouped(date, column):
        rows = report.facts(reader, filters, date, managers=True)
        return {row[column]: row for row in report.aggregate(rows.values(column), filters)}

    def both(column):
        """The groups of the date and of the comparison date; one query for the two days where the
        report reads single days (a range report reads its range, then the other day)."""
        if not filters.compare:
            return _strip(grouped(filters.date, column), column), None
        if report.uses_range:
            return _strip(grouped(filters.date, column), column), _strip(grouped(filters.compare, column), column)
        rows = report.rows(reader, filters, managers=True).filter(business_date__in=(filters.date, filters.compare))
        days = {filters.date: {}, filters.compare: {}}
        for row in report.aggregate(rows.values("business_date", column), filters):
            day = row.pop("business_date")
            days[day][row.pop(column)] = row
        return days[filters.date], days[filters.compare]

    lines = []
    if filters.by == BY_BRANCH and reader.sees_tree and not filters.exact:
        node = node_of(reader, filters)
        current, compared = by_child(report, reader, filters, node)
        for child in child_branches(reader, node):
            values = current.get(child.pk)
            before = compared.get(child.pk) if compared is not None else None
            if values is None and before is None:
                continue
            by = BY_BRANCH if child.has_children else BY_MANAGER
            lines.append(
                Line(child.pk, branch_label(child), values or {}, filters.link(branch=child.pk, by=by, exact=None), before)
            )
        if None in current or (compared and None in compared):
            lines.append(
                Line(
                    "own",
                    _("%(branch)s itself") % {"branch": branch_label(node)},
                    current.get(None, {}),
                    filters.link(branch=node.pk, by=BY_MANAGER, exact=1),
                    compared.get(None) if compared is not None else None,
                )
            )
    else:
        current, compared = both("manager_id")
        keys = list(current) + [k for k in (compared or {}) if k not in current]
        people = staff_names(keys)
        for key in keys:
            label = people.get(key) or _("No manager")
            link = filters.link(manager=key, by=BY_CUSTOMER) if key is not None else ""
            lines.append(Line(key, label, current.get(key, {}), link, compared.get(key) if compared is not None else None))
        # Largest first; ties by name, so the order never depends on the order rows come back in.
        lines.sort(key=lambda line: (-(line.values.get(names[0]) or 0), str(line.label)))
    total = total_of(lines, names)
    compared_total = total_of(lines, names, "compared") if filters.compare else None
    return Level(filters.by, lines, total, compared_total)


def child_branches(reader, node):
    """The children of the node (the bank's top branches without one), each knowing whether it
    has children of its own (its line leads to its branches, else to its managers)."""
    children = Branch.objects.filter(bank_id=reader.bank_id)
    children = children.filter(parent_id=node.pk) if node is not None else children.filter(parent__isnull=True)
    return list(
        children.annotate(has_children=Exists(Branch.objects.filter(parent_id=OuterRef("pk"))))
        .only("id", "parent_id", "path", "code", "name_local", "name_en", "bank_id")
        .order_by("path")
    )


def by_child(report, reader, filters, node):
    """({child id or None: values}, the same for the comparison date or None): the report's
    figures per branch, summed per child of the node in the database — the child is the id that
    follows the node's in the branch's materialised path ("/1/4/17/"); None holds the node's own
    rows. One statement per date (one for both where the report reads single days), returning a
    line per child, not one per branch of the subtree."""
    names = report.value_names(filters)
    if not filters.compare:
        return _by_child(report, reader, filters, node, names, [filters.date]), None
    if report.uses_range:
        return (
            _by_child(report, reader, filters, node, names, [filters.date]),
            _by_child(report, reader, filters, node, names, [filters.compare]),
        )
    days = _by_child(report, reader, filters, node, names, [filters.date, filters.compare])
    return days.get(filters.date, {}), days.get(filters.compare, {})


def _by_child(report, reader, filters, node, names, dates):
    """{child: values} for one date (a range report: its range ending there); for two dates
    {date: {child: values}}, from one statement."""
    two = len(dates) > 1
    if two:
        rows = report.rows(reader, filters).filter(business_date__in=dates)
        grouped = report.aggregate(rows.values("business_date", "branch_id"), filters)
    else:
        grouped = report.aggregate(report.facts(reader, filters, dates[0]).values("branch_id"), filters)
    if not isinstance(grouped, QuerySet):  # nothing to read (a report without figures)
        return {}
    sql, params = grouped.query.sql_with_params()
    depth = len(node.path.strip("/").split("/")) if node is not None else 0
    quote = connections[grouped.db].ops.quote_name
    sums = ", ".join(f"sum(x.{quote(name)})" for name in names)
    day = "x.business_date, " if two else ""
    statement = (
        f"SELECT {day}NULLIF(split_part(b.path, '/', %s), '')::bigint AS child, {sums} "
        f"FROM ({sql}) x JOIN sysadmin_branch b ON b.id = x.branch_id GROUP BY {'1, 2' if two else '1'}"
    )
    # Counts (and sums of integers) stay integers: sum() of a bigint is a numeric in PostgreSQL.
    integral = {
        name: isinstance(grouped.query.annotations[name].output_field, (IntegerField, BigIntegerField))
        for name in names
        if name in grouped.query.annotations
    }
    found = {}
    with connections[grouped.db].cursor() as cursor:
        cursor.execute(statement, [depth + 2, *params])
        for row in cursor.fetchall():
            key = row[:2] if two else (None, row[0])
            values = {}
            for name, value in zip(names, row[2 if two else 1 :], strict=True):
                values[name] = int(value) if value is not None and integral.get(name) else value
            found.setdefault(key[0], {})[key[1]] = values
    return found if two else found.get(None, {})


def _strip(groups, column):
    return {key: {name: value for name, value in row.items() if name != column} for key, row in groups.items()}


# --- the customers step ---------------------------------------------------------------------------

CUSTOMER_COLUMNS = (
    "lifecycle_stage",
    "tier",
    "star_rating",
    "aum",
    "liabilities",
    "contribution",
    "fee_income",
    "products_held",
)


def customer_rows(reader, filters):
    """The CustomerDay rows of the step (the node, the manager), of customers the user may see."""
    rows = scoped(CustomerDay, reader, filters).filter(business_date=filters.date)
    return rows.filter(customer_id__in=Customer.objects.visible_to(reader.user).values("id"))


def customer_lines(reader, filters, report):
    rows = customer_rows(reader, filters).order_by("-aum", "customer_id")
    summary = rows.aggregate(n=Count("id"), aum=Sum("aum"))
    count = summary["n"] or 0
    pages = max(1, -(-count // CUSTOMER_PAGE))
    page = min(max(1, filters.page), pages)
    if not filters.everything:
        rows = rows[(page - 1) * CUSTOMER_PAGE : page * CUSTOMER_PAGE]
    else:  # an export: every customer of the step, up to the bank's export cap
        rows = rows[: parameters.get("export.max_rows", reader.bank_id)]
    rows = list(rows.values("customer_id", "branch_id", "manager_id", *CUSTOMER_COLUMNS))
    customers = {
        c["id"]: c for c in Customer.objects.filter(pk__in=[r["customer_id"] for r in rows]).values("id", "number", "name_local")
    }
    lines = []
    for row in rows:
        customer = customers.get(row["customer_id"])
        if customer is None:
            continue
        label = f"{customer['number']} {customer['name_local']}"
        values = {name: row[name] for name in CUSTOMER_COLUMNS}
        lines.append(Line(customer["number"], label, values, f"/customers/{customer['number']}/"))
    total = total_of(lines, ("aum", "liabilities", "contribution", "fee_income", "products_held"))
    return Level(BY_CUSTOMER, lines, total, customers=count, pages=pages)


# --- the way down ---------------------------------------------------------------------------------


def breadcrumbs(reader, filters, bank):
    """(label, link) from the reader's start down to the filters' step; the last has no link."""
    crumbs = []
    top = reader.top
    if reader.sees_tree:
        start = branch_label(top) if top is not None else bank_label(bank)
        crumbs.append((start, filters.link(branch=None, by=None, manager=None, exact=None)))
        node = filters.branch
        if node is not None:
            ids = [int(part) for part in node.path.strip("/").split("/") if part]
            if top is not None:
                ids = ids[ids.index(top.pk) + 1 :] if top.pk in ids else []
            names = {b.pk: b for b in Branch.objects.filter(pk__in=ids)}
            for branch_id in ids:
                branch = names.get(branch_id)
                if branch is not None:
                    by = BY_BRANCH if branch_id != node.pk or not filters.exact else BY_MANAGER
                    crumbs.append((branch_label(branch), filters.link(branch=branch_id, by=by, manager=None, exact=None)))
            if filters.exact:
                crumbs.append(
                    (_("%(branch)s itself") % {"branch": branch_label(node)}, filters.link(by=BY_MANAGER, manager=None))
                )
        if filters.by in (BY_MANAGER, BY_CUSTOMER) and not filters.exact and filters.manager is None:
            crumbs.append((_("Managers"), filters.link(by=BY_MANAGER, manager=None)))
    else:
        crumbs.append((_("My book"), filters.link(by=BY_MANAGER, manager=None)))
    if filters.manager is not None:
        crumbs.append((filters.manager.display_name, filters.link(by=BY_MANAGER)))
        if filters.by == BY_CUSTOMER:
            crumbs.append((_("Customers"), filters.link()))
    if crumbs:
        crumbs[-1] = (crumbs[-1][0], "")
    return crumbs


def bank_of(reader):
    return Bank.objects.filter(pk=reader.bank_id).first() if reader.bank_id else None


def user_zone(user):
    try:
        return zoneinfo.ZoneInfo(user.effective_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC


def local_today(user, now=None):
    return timezone.localtime(now or timezone.now(), user_zone(user)).date()


def as_decimal(value):
    if value is None:
        return Decimal("0")
    return value if isinstance(value, Decimal) else Decimal(value)
