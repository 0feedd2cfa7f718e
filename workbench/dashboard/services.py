"""The dashboard: the cards each person sees, what each card counts, the "today" list and the
shortcut menu.

Every card is a function card(user, node, now) -> context that issues a FIXED number of queries
whatever the size of the book (aggregates grouped in the database, lists sliced), so the page
costs the same for a manager of 200 customers and a supervisor of a 3,000-branch bank.

The book is what the person answers for: a manager's own customers (primary manager), a
supervisor's branch subtree (or a branch below it, when they drill down), a head-office role's
whole bank. Nothing outside Customer.objects.visible_to(user) is ever counted."""

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Count, F, Func, Max, Q, Sum, Value
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from customers.lifecycle.models import LifecycleChange
from customers.master.models import Customer, Holding, HoldingBalance, Product, Transaction
from ocrm import navigation, preferences
from ocrm.approvals import services as approvals
from ocrm.errors import NotVisible
from ocrm.scoping import scope_of
from sysadmin.org.models import Branch, Staff
from workbench import desk
from workbench.dashboard import events
from workbench.dashboard.models import BookFigure, DashFigure, DeskDismissal
from workbench.todo.models import Task

SHORTCUTS_KEY = "workbench.shortcuts"
MAX_SHORTCUTS = 12
DUE_DAYS = 30
RECENT_DAYS = 30
TREND_MONTHS = 12
LIST_ROWS = 8
BREAKDOWN_MANAGERS = 20
SNOOZE_HOURS = (1, 4, 24, 72)


def url_or_blank(name, *args, query=""):
    """A link to a page that another area may draw (or not yet): blank when it does not exist."""
    try:
        return reverse(name, args=args) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return ""


# --- whose book -----------------------------------------------------------------------------------


def sees_a_tree(user):
    return scope_of(user) in ("subtree", "bank", "all")


def drill_node(user, branch_id):
    """The branch a supervisor (or head-office role) drilled down to: within their scope, else
    NotVisible (a 404). None = their own starting point."""
    if not branch_id or not sees_a_tree(user):
        return None
    try:
        branch_id = int(branch_id)
    except (TypeError, ValueError):
        raise NotVisible from None
    node = Branch.objects.visible_to(user).filter(pk=branch_id).first()
    if node is None:
        raise NotVisible
    return node


def start_node(user):
    """Where a tree-seeing person's breakdown starts: their branch for a supervisor, the bank's
    top (None) for head-office roles."""
    return user.branch if scope_of(user) == "subtree" else None


def book(user, node=None):
    """The customers this card counts: a manager's own, a supervisor's subtree (or node's)."""
    scope = scope_of(user)
    if scope == "own":
        return Customer.objects.filter(bank_id=user.bank_id, primary_manager_id=user.pk, merged_into__isnull=True)
    customers = Customer.objects.visible_to(user).active()
    if node is not None:
        customers = customers.filter(branch__path__startswith=node.path)
    return customers


def _whole_bank(user, node):
    return node is None and scope_of(user) == "bank"


def book_filter_query(user, node):
    """The customer list's query string showing the same customers as a card."""
    if scope_of(user) == "own":
        return urlencode({"manager": user.username})
    if node is not None:
        return urlencode({"branch": node.code})
    if scope_of(user) == "subtree" and user.branch_id:
        return urlencode({"branch": user.branch.code})
    return ""


def _zone(user):
    return zoneinfo.ZoneInfo(user.effective_timezone)


def local_today(user, now):
    return timezone.localtime(now, _zone(user)).date()


def _join(*parts):
    return "&".join(part for part in parts if part)


# --- the cards ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    template: str
    compute: object
    applies: object  # callable(user) -> bool
    width: str = "col-lg-6"
    # Cards over what only the nightly feeds change (month-end balances, holdings, transactions)
    # are kept for a while per person, branch and local day: see computed().
    cache_seconds: int = 0


def book_figures(user, node, model=BookFigure, kind=None):
    """The nightly BookFigure (or DashFigure of `kind`) rows of the same book as book(user, node),
    or None when they cannot stand for it (no bank, a cross-bank role): then the card counts live."""
    return figure_rows(user, node, model, kind)[0]


def figure_rows(user, node, model=BookFigure, kind=None):
    """(book_figures(...), whether the book is the whole bank)."""
    if user.bank_id is None:
        return None, False
    figures = model.objects.filter(bank_id=user.bank_id)
    scope = scope_of(user)
    whole = scope != "own" and _book_is_the_bank(user, node)
    if model is BookFigure:
        if whole:  # the bank's (tier, stage) totals, not its branches' × managers' rows
            return figures.filter(grain=BookFigure.Grain.BANK), whole
        figures = figures.filter(grain=BookFigure.Grain.BOOK)
    elif kind in PER_MANAGER_KINDS and scope != "own" and whole:
        return figures.filter(kind=f"{kind}_bank"), whole  # the bank's dozen totals, not its branches' rows
    if kind is not None:
        figures = figures.filter(kind=f"{kind}_manager" if kind in PER_MANAGER_KINDS and scope == "own" else kind)
    if scope == "own":
        return figures.filter(manager_id=user.pk), whole
    if node is None and scope == "subtree":
        if not user.branch_id:
            return None, whole
        node = user.branch
    if node is not None:
        if whole:  # the whole bank's branches: no join on the branch paths of 200k rows
            return figures.filter(branch__isnull=False), whole
        return figures.filter(branch__path__startswith=node.path), whole
    return (figures if scope == "bank" else None), whole


PER_MANAGER_KINDS = (DashFigure.Kind.AUM_MONTH, DashFigure.Kind.TRANSACTIONS)


def _book_is_the_bank(user, node):
    """Whether the person's book is every golden customer of their bank (a head-office role, or a
    supervisor of the bank's only top branch)."""
    if user.bank_id is None:
        return False
    if _whole_bank(user, node):
        return True
    top = node if node is not None else (user.branch if scope_of(user) == "subtree" else None)
    return top is not None and _sole_root(top)


def _sole_root(node):
    """Whether the node is the bank's only top branch (its subtree is every branch of the bank)."""
    return (
        node.parent_id is None
        and not Branch.objects.filter(bank_id=node.bank_id, parent__isnull=True).exclude(pk=node.pk).exists()
    )


def card_book(user, node, now):
    figures = book_figures(user, node)
    rows = []
    if figures is not None:
        rows = list(
            figures.order_by()
            .values("tier", "lifecycle_stage")
            .annotate(n=Sum("customers"), aum=Sum("aum"), as_of=Max("built_at"))
        )
    as_of = max((row["as_of"] for row in rows), default=None)
    if not rows:  # no figures built yet for this book: counted live
        rows = list(book(user, node).order_by().values("tier", "lifecycle_stage").annotate(n=Count("id"), aum=Sum("aum")))
    tiers, stages = {}, {}
    for row in rows:
        tiers[row["tier"]] = tiers.get(row["tier"], 0) + row["n"]
        stages[row["lifecycle_stage"]] = stages.get(row["lifecycle_stage"], 0) + row["n"]
    base = book_filter_query(user, node)
    link = url_or_blank("customers:list")

    def lines(choices, counts, param):
        return [
            {"label": label, "count": counts.get(value, 0), "url": f"{link}?{_join(base, f'{param}={value}')}" if link else ""}
            for value, label in choices
        ]

    return {
        "as_of": as_of_label(user, as_of),
        "total": sum(row["n"] for row in rows),
        "aum": sum((row["aum"] or Decimal(0) for row in rows), Decimal(0)),
        "tiers": lines(Customer.Tier.choices, tiers, "tier"),
        "stages": lines(Customer.Lifecycle.choices, stages, "lifecycle"),
        "list_url": f"{link}?{base}" if link and base else link,
    }


def as_of_label(user, moment):
    """When the nightly figures a card shows were built, in the person's zone ("" when live)."""
    return f"{timezone.localtime(moment, _zone(user)):%Y-%m-%d %H:%M}" if moment else ""


def month_ends(today, months=TREND_MONTHS):
    """The last days of the `months` months before today's, oldest first."""
    ends, first = [], today.replace(day=1)
    for _i in range(months):
        end = first - datetime.timedelta(days=1)
        ends.append(end)
        first = end.replace(day=1)
    return list(reversed(ends))


def card_aum_trend(user, node, now):
    """AUM at each of the last twelve month ends (the asset holdings' balances in base currency,
    HoldingBalance), then today's (Customer.aum, kept by the nightly batch)."""
    days = month_ends(local_today(user, now))
    totals, as_of = nightly_month_ends(user, node, days), None
    if totals is None:  # no figures built yet for this bank: summed live
        totals = live_month_ends(user, node, days)
    else:
        totals, as_of = totals
    figures = book_figures(user, node)
    found = figures.aggregate(total=Sum("aum"), rows=Count("id")) if figures is not None else {"rows": 0}
    if not found["rows"]:  # no figures built yet for this book: summed live
        found = book(user, node).aggregate(total=Sum("aum"))
    current = found["total"] or Decimal(0)
    points = [{"label": f"{day:%Y-%m}", "value": float(totals.get(day) or 0)} for day in days]
    points.append({"label": str(_("now")), "value": float(current)})
    return {"points": points, "current": current, "has_history": bool(totals), "as_of": as_of_label(user, as_of)}


def bank_has_figures(user, kind):
    return DashFigure.objects.filter(bank_id=user.bank_id, kind=kind).exists()


def nightly_month_ends(user, node, days):
    """({month end: AUM}, built at) from the nightly figures, or None when the bank has none built."""
    figures = book_figures(user, node, DashFigure, DashFigure.Kind.AUM_MONTH)
    if figures is None:
        return None
    rows = figures.filter(day__in=days).order_by().values_list("day").annotate(Sum("amount"), Max("built_at"))
    totals, as_of = {}, None
    for day, total, built in rows:
        totals[day], as_of = total, max(as_of or built, built)
    if not totals and not bank_has_figures(user, DashFigure.Kind.AUM_MONTH):
        return None
    return totals, as_of


def live_month_ends(user, node, days):
    balances = HoldingBalance.objects.filter(business_date__in=days, holding__product__category=Product.Category.ASSET)
    if user.bank_id is not None:
        balances = balances.filter(bank_id=user.bank_id)
    if not _whole_bank(user, node):
        balances = balances.filter(customer_id__in=book(user, node).values("id"))
    return dict(balances.order_by().values_list("business_date").annotate(total=Sum("balance_base")))


def card_lifecycle(user, node, now):
    since = now - datetime.timedelta(days=RECENT_DAYS)
    changes = LifecycleChange.objects.filter(changed_at__gte=since, customer__in=book(user, node).values("id"))
    if user.bank_id is not None:
        changes = changes.filter(bank_id=user.bank_id)
    by_stage = dict(changes.order_by().values_list("stage_to").annotate(n=Count("id")))
    latest = list(changes.select_related("customer").order_by("-changed_at")[:LIST_ROWS])
    labels = dict(Customer.Lifecycle.choices)
    return {
        "total": sum(by_stage.values()),
        "by_stage": [{"label": labels.get(stage, stage), "count": n} for stage, n in sorted(by_stage.items())],
        "latest": latest,
        "list_url": url_or_blank("customers:lifecycle_changes"),
    }


def card_due(user, node, now):
    today = local_today(user, now)
    until = today + datetime.timedelta(days=DUE_DAYS)
    if _book_is_the_bank(user, node):  # no IN over the bank's customers: the join alone
        holdings = Holding.objects.filter(customer__merged_into__isnull=True)
    else:
        holdings = Holding.objects.filter(customer__in=book(user, node).values("id"))
    holdings = holdings.exclude(status=Holding.Status.CLOSED)
    if user.bank_id is not None:
        holdings = holdings.filter(bank_id=user.bank_id)
    maturing = Q(maturity_date__gte=today, maturity_date__lte=until)
    instalment = Q(next_instalment_date__gte=today, next_instalment_date__lte=until)
    totals = nightly_due(user, node)
    if totals is None:  # no figures built yet for this bank: counted live
        totals = {**live_due(holdings, maturing, instalment), "as_of": ""}
    fields = ("id", "account_number", "currency", "balance", "maturity_date", "next_instalment_date", "next_instalment_amount")
    customer_fields = ("customer__number", "customer__name_local")
    return {
        **totals,
        "days": DUE_DAYS,
        "next_maturities": list(
            holdings.filter(maturing).order_by("maturity_date", "id").values(*fields, *customer_fields)[:LIST_ROWS]
        ),
        "next_instalments": list(
            holdings.filter(instalment).order_by("next_instalment_date", "id").values(*fields, *customer_fields)[:LIST_ROWS]
        ),
    }


def nightly_due(user, node):
    """The counts and amounts due from the nightly figures (as of the bank's day of the build),
    or None when the bank has none built."""
    figures = book_figures(user, node, DashFigure)
    if figures is None:
        return None
    due = (DashFigure.Kind.MATURITY, DashFigure.Kind.INSTALMENT)
    rows = figures.filter(kind__in=due).order_by().values_list("kind").annotate(Sum("n"), Sum("amount"), Max("built_at"))
    found = {kind: (n, amount) for kind, n, amount, _built in rows}
    if not found and not DashFigure.objects.filter(bank_id=user.bank_id, kind__in=due).exists():
        return None
    maturities, maturity_amount = found.get(DashFigure.Kind.MATURITY, (0, None))
    instalments, instalment_amount = found.get(DashFigure.Kind.INSTALMENT, (0, None))
    return {
        "as_of": as_of_label(user, max((built for *_rest, built in rows), default=None)),
        "maturities": maturities,
        "maturity_amount": maturity_amount,
        "instalments": instalments,
        "instalment_amount": instalment_amount,
    }


def live_due(holdings, maturing, instalment):
    return holdings.filter(maturing | instalment).aggregate(
        maturities=Count("id", filter=maturing),
        maturity_amount=Sum("balance", filter=maturing),
        instalments=Count("id", filter=instalment),
        instalment_amount=Sum("next_instalment_amount", filter=instalment),
    )


def card_work(user, node, now):
    tasks = Task.objects.visible_to(user).open()
    if scope_of(user) == "own":
        tasks = tasks.filter(assignee=user)
    elif node is not None:
        tasks = tasks.filter(assignee__branch__path__startswith=node.path)
    counts = tasks.aggregate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lte=now)))
    zone = _zone(user)
    today = local_today(user, now)
    start = datetime.datetime.combine(today, datetime.time(), zone)
    end = start + datetime.timedelta(days=1)
    appointments = []
    for source in desk.calendar_sources(user):
        appointments.extend(source.function(user, user, start, end))
    appointments.sort(key=lambda event: event.start)
    return {
        **counts,
        "appointments": appointments[:LIST_ROWS],
        "appointment_count": len(appointments),
        "my_pending": approvals.made_by(user).pending().count(),
        "tasks_url": url_or_blank("workbench:tasks"),
        "calendar_url": url_or_blank("workbench:calendar"),
        "requests_url": url_or_blank("workbench:my_requests", query="status=pending"),
    }


def card_breakdown(user, node, now):
    """Per branch one level below the node (one GROUP BY on the path's next segment) and per
    manager within the node's subtree (the largest books first)."""
    node = node if node is not None else start_node(user)
    depth = node.path.count("/") - 1 if node is not None else 0
    child = Func(F("branch__path"), Value("/"), Value(depth + 2), function="split_part", output_field=CharField())
    # The nightly figures when built (a few thousand rows; for the whole bank its per-branch and
    # per-manager totals), else the customers live.
    figures, whole = figure_rows(user, node)
    if figures is not None and figures.exists():
        count, primary_manager = Sum("customers"), "manager"
        customers = per_manager = figures
        if whole:
            bank_rows = BookFigure.objects.filter(bank_id=user.bank_id)
            customers = bank_rows.filter(grain=BookFigure.Grain.BRANCH)
            per_manager = bank_rows.filter(grain=BookFigure.Grain.MANAGER)
    else:
        customers = per_manager = book(user, node)
        count, primary_manager = Count("id"), "primary_manager"
    by_child = {
        row["child"]: row for row in customers.order_by().annotate(child=child).values("child").annotate(n=count, aum=Sum("aum"))
    }
    children = Branch.objects.filter(parent=node) if node is not None else Branch.objects.filter(parent__isnull=True)
    if user.bank_id is not None:
        children = children.filter(bank_id=user.bank_id)
    branches = []
    for branch in children.order_by("code"):
        row = by_child.get(str(branch.pk), {})
        branches.append({"branch": branch, "count": row.get("n", 0), "aum": row.get("aum") or Decimal(0)})
    own = by_child.get("", {})
    # Grouped on the column alone (no join), then the twenty names: cheaper over a large subtree.
    managers = [
        {"primary_manager": row[primary_manager], "n": row["n"], "aum": row["aum"]}
        for row in per_manager.order_by()
        .values(primary_manager)
        .annotate(n=count, aum=Sum("aum"))
        .order_by("-aum", primary_manager)[:BREAKDOWN_MANAGERS]
    ]
    names = Staff.objects.in_bulk([row["primary_manager"] for row in managers if row["primary_manager"]])
    for row in managers:
        person = names.get(row["primary_manager"])
        row["primary_manager__name_local"] = person.name_local if person else ""
        row["primary_manager__username"] = person.username if person else ""
    link = url_or_blank("customers:list")
    for row in managers:
        manager = row["primary_manager__username"]
        row["url"] = (
            f"{link}?{_join(book_filter_query(user, node), urlencode({'manager': manager}) if manager else '')}" if link else ""
        )
    return {
        "node": node,
        "parent": node.parent if node is not None and node.parent_id and sees_a_tree(user) else None,
        "branches": branches,
        "at_node": {"count": own.get("n", 0), "aum": own.get("aum") or Decimal(0)},
        "managers": managers,
        "customers_url": link,
    }


def card_transactions(user, node, now):
    """辖内交易统计: counts and amounts by channel and currency, last 7 and 30 days. The time
    filter is a plain range on occurred_at (the partition key), so only the last months'
    partitions are read. From the nightly figures (the 7 and 30 local days before the build) once
    the bank has them."""
    stats = nightly_transactions(user, node)
    if stats is None:  # no figures built yet for this bank: counted live
        stats = live_transactions(user, node, now)
    labels = dict(Transaction.Channel.choices)
    for row in stats:
        row["label"] = labels.get(row["channel"], row["channel"])
    as_of = max((row["as_of"] for row in stats if row.get("as_of")), default=None)
    return {
        "rows": stats,
        "n7": sum(r["n7"] for r in stats),
        "n30": sum(r["n30"] for r in stats),
        "as_of": as_of_label(user, as_of),
    }


def nightly_transactions(user, node):
    figures = book_figures(user, node, DashFigure, DashFigure.Kind.TRANSACTIONS)
    if figures is None:
        return None
    stats = list(
        figures.order_by()
        .values("channel", "currency")
        .annotate(n30=Sum("n"), amount30=Sum("amount"), n7=Sum("n7"), amount7=Sum("amount7"), as_of=Max("built_at"))
        .order_by("channel", "currency")
    )
    if not stats and not bank_has_figures(user, DashFigure.Kind.TRANSACTIONS):
        return None
    return stats


def live_transactions(user, node, now):
    since7, since30 = now - datetime.timedelta(days=7), now - datetime.timedelta(days=30)
    rows = Transaction.objects.filter(occurred_at__gte=since30, occurred_at__lte=now)
    if user.bank_id is not None:
        rows = rows.filter(bank_id=user.bank_id)
    if not _whole_bank(user, node):
        rows = rows.filter(customer_id__in=book(user, node).values("id"))
    week = Q(occurred_at__gte=since7)
    return list(
        rows.order_by()
        .values("channel", "currency")
        .annotate(n30=Count("id"), amount30=Sum("amount"), n7=Count("id", filter=week), amount7=Sum("amount", filter=week))
        .order_by("channel", "currency")
    )


def card_admin(user, node, now):
    staff = Staff.objects.visible_to(user)
    counts = staff.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(is_active=True)),
        locked=Count("id", filter=Q(locked_at__isnull=False)),
        must_change=Count("id", filter=Q(must_change_password=True, is_active=True)),
    )
    return {**counts, "staff_url": url_or_blank("sysadmin:staff_list"), "jobs_url": url_or_blank("jobs:list")}


def card_lookup(user, node, now):
    return {"lookup_url": url_or_blank("customers:lookup")}


def works_with_customers(user):
    """Managers and supervisors: a book of their own or a branch subtree (the dashboard is their home page)."""
    return user.has_perm("customers.view_customer") and scope_of(user) in ("own", "subtree")


def _sees_customers(user):
    return user.has_perm("customers.view_customer") and scope_of(user) in ("own", "subtree", "bank", "all")


CARDS = [
    Card("book", _("My book"), "workbench/dashboard/cards/book.html", card_book, _sees_customers),
    Card(
        "aum_trend",
        _("AUM, last twelve months"),
        "workbench/dashboard/cards/aum_trend.html",
        card_aum_trend,
        _sees_customers,
        cache_seconds=3600,
    ),
    Card(
        "breakdown",
        _("By branch and manager"),
        "workbench/dashboard/cards/breakdown.html",
        card_breakdown,
        lambda user: _sees_customers(user) and sees_a_tree(user),
        width="col-12",
        cache_seconds=300,
    ),
    Card(
        "due",
        _("Maturities and instalments, next 30 days"),
        "workbench/dashboard/cards/due.html",
        card_due,
        lambda user: _sees_customers(user) and user.has_perm("customers.view_holding"),
        cache_seconds=900,
    ),
    Card(
        "lifecycle",
        _("Lifecycle changes, last 30 days"),
        "workbench/dashboard/cards/lifecycle.html",
        card_lifecycle,
        lambda user: _sees_customers(user) and user.has_perm("customers.view_lifecyclechange"),
    ),
    Card("work", _("My work"), "workbench/dashboard/cards/work.html", card_work, lambda user: user.bank_id is not None),
    Card(
        "transactions",
        _("Transactions of the jurisdiction"),
        "workbench/dashboard/cards/transactions.html",
        card_transactions,
        lambda user: _sees_customers(user) and user.has_perm("customers.view_transaction"),
        cache_seconds=900,
    ),
    Card(
        "lookup",
        _("Customer look-up"),
        "workbench/dashboard/cards/lookup.html",
        card_lookup,
        lambda user: user.has_perm("customers.view_customer") and scope_of(user) is None,
    ),
    Card(
        "admin",
        _("Staff"),
        "workbench/dashboard/cards/admin.html",
        card_admin,
        lambda user: user.has_perm("sysadmin.change_staff") and scope_of(user) in ("bank", "all"),
    ),
]


def cards_for(user):
    return [card for card in CARDS if card.applies(user)]


def computed(card, user, node, now):
    """The card's figures. A card with cache_seconds is kept per person (their scope), drilled-down
    branch and local day: the month-end history, holdings and transactions it reads change with
    the nightly feeds, and a 20k-customer book's twelve months of balances take seconds to sum."""
    if not card.cache_seconds:
        return card.compute(user, node, now)
    key = f"dashboard:{card.key}:{user.pk}:{node.pk if node is not None else ''}:{local_today(user, now)}:{get_language()}"
    context = cache.get(key)
    if context is None:
        context = card.compute(user, node, now)
        cache.set(key, context, card.cache_seconds)
    return context


def card_for(user, key):
    """The card `key` if this person gets it, else NotVisible (a 404)."""
    for card in cards_for(user):
        if card.key == key:
            return card
    raise NotVisible


# --- the "today" list -----------------------------------------------------------------------------


def approvals_waiting(user, now):
    """A today source of the workbench itself: the change requests waiting for this person's decision."""
    count = approvals.pending_for_checker(user).count()
    if not count:
        return []
    title = _("%(count)d request(s) wait for your decision") % {"count": count}
    return [desk.TodayItem(kind="approvals", title=str(title), url=url_or_blank("workbench:inbox"), when=None)]


def register_today_sources():
    desk.register_today("approvals", _("Approvals waiting for you"), approvals_waiting, order=40)


def today_items(user, now=None):
    """Every registered source's items for this person, less what they snoozed or dismissed,
    overdue first, then by time (items without a time last)."""
    now = now or timezone.now()
    items = []
    for source in desk.today_sources(user):
        items.extend(source.function(user, now))
    if items:  # nothing to hide from an empty list: no query
        hidden = set(DeskDismissal.objects.filter(staff=user).in_force(now).values_list("kind", "item_key"))
        items = [item for item in items if (item.kind, item.url) not in hidden]
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    return sorted(items, key=lambda item: (not item.overdue, item.when or far))


def set_aside(user, *, kind, item_key, action, reason, snooze_hours=24, now=None):
    """Snooze or dismiss an item of the today list, with the person's reason (audited)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Say in a few words why.")
    elif len(reason) > 200:
        errors["reason"] = _("At most 200 characters.")
    if kind not in {source.key for source in desk.today_sources(user)}:
        errors["kind"] = _("Unknown kind of item.")
    if action not in DeskDismissal.Action.values:
        errors["action"] = _("Choose snooze or dismiss.")
    if action == DeskDismissal.Action.SNOOZE and snooze_hours not in SNOOZE_HOURS:
        errors["snooze_hours"] = _("Choose how long to snooze.")
    if not item_key or len(item_key) > 300:
        errors["item_key"] = _("Unknown item.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = DeskDismissal.objects.create(
            bank_id=user.bank_id,
            staff=user,
            kind=kind,
            item_key=item_key,
            action=action,
            until=now + datetime.timedelta(hours=snooze_hours) if action == DeskDismissal.Action.SNOOZE else None,
            reason=reason,
        )
        events.item_set_aside(row, user)
    return row


# --- shortcuts ------------------------------------------------------------------------------------


def permitted_pages(user):
    """The pages this person may open, from the navigation registry: {url_name: item}."""
    return {item["entry"].url_name: item for item in navigation.entries_for(user)}


def shortcuts(user, permitted=None):
    """The person's shortcuts in their order; one they may no longer open is left out."""
    permitted = permitted_pages(user) if permitted is None else permitted
    return [permitted[name] for name in preferences.get(user, SHORTCUTS_KEY, []) if name in permitted]


def save_shortcuts(user, names):
    """Keep up to twelve shortcuts in the given order; a page the person may not open is refused."""
    permitted = permitted_pages(user)
    chosen = []
    for name in names:
        if not name:
            continue
        if name not in permitted:
            raise ValidationError({"shortcuts": _("You may not open the page %(page)s.") % {"page": name}})
        if name not in chosen:
            chosen.append(name)
    if len(chosen) > MAX_SHORTCUTS:
        raise ValidationError({"shortcuts": _("At most %(max)d shortcuts.") % {"max": MAX_SHORTCUTS}})
    preferences.put(user, SHORTCUTS_KEY, chosen)
    events.shortcuts_saved(user, chosen)
    return chosen
