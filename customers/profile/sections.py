"""The 360° page is assembled from sections. Later apps (marketing, workbench,
crossborder) add theirs with register() in their AppConfig.ready(), without editing
the page:

    sections.register("opportunities", _("Opportunities"), "marketing/360_opportunities.html",
                      context=lambda customer, user: {...}, order=60, perm="marketing.view_opportunity")

`context(customer, user)` must issue a fixed number of queries (the page has a query
budget, asserted in tests) and only read rows visible to `user`.
"""

import datetime
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from customers.lifecycle.models import LifecycleChange, RatingChange
from customers.master.models import (
    Address,
    ContactPoint,
    Customer,
    CustomerDocument,
    CustomerNote,
    FxRate,
    Holding,
    HoldingBalance,
    IdentityDocument,
    Product,
    Relationship,
    ServiceContact,
    Transaction,
)
from customers.profile.forms import TransactionFilterForm
from ocrm import pii
from ocrm.approvals import services as approvals


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    template: str
    context: object  # callable(customer, user) -> dict
    order: int = 100
    perm: str | None = None
    kinds: tuple = ("retail", "corporate")
    # Deferred: the page draws the section's own controls and a placeholder, without its context's
    # queries; htmx fills it from customers:section (the template shows its rows only without
    # `deferred_url`). What the person sees first comes sooner (issue 19: the page's Python time
    # was mostly the ORM building the queries of twenty sections).
    deferred: bool = False
    # What a deferred section's controls read (a button the person may use), given with its placeholder.
    controls: object = None  # callable(customer, user) -> dict, no query


_sections = {}


def register(key, title, template, context, order=100, perm=None, kinds=("retail", "corporate"), deferred=False, controls=None):
    _sections[key] = Section(key, title, template, context, order, perm, tuple(kinds), deferred, controls)


def shown_to(section, customer, user):
    return customer.kind in section.kinds and not (section.perm and not user.has_perm(section.perm))


def sections_for(customer, user, defer=False):
    """[(section, context)] in order, for the sections this user may see on this customer. With
    `defer`, a deferred section's context is only the address its rows are loaded from."""
    result = []
    for section in sorted(_sections.values(), key=lambda s: s.order):
        if not shown_to(section, customer, user):
            continue
        if defer and section.deferred:
            controls = section.controls(customer, user) if section.controls else {}
            result.append(
                (section, {**controls, "deferred_url": reverse("customers:section", args=[customer.number, section.key])})
            )
        else:
            result.append((section, section.context(customer, user)))
    return result


def deferred_section(key, customer, user):
    """(section, context) of the deferred section `key` as its placeholder loads it; None when there
    is no such section or the user may not see it on this customer."""
    section = _sections.get(key)
    if section is None or not section.deferred or not shown_to(section, customer, user):
        return None
    return section, section.context(customer, user)


ID_EXPIRY_WARNING_DAYS = 90


TRANSACTIONS_PER_PAGE = 20


TIMELINE_LIMIT = 20


HISTORY_LIMIT = 20


DOCUMENTS_LIMIT = 50


RELATIONSHIPS_LIMIT = 50


GRAPH_NODES = 12


CHART_DAYS = 365


def _memo(customer, key, load):
    """Rows that several sections need are read once per request (kept on the instance)."""
    cache = customer.__dict__.setdefault("_detail_memo", {})
    if key not in cache:
        cache[key] = load()
    return cache[key]


# Pending change requests on one customer are few; the header shows the newest ten.
PENDING_LIMIT = 50


def pending_requests(customer):
    """The customer's pending change requests with their makers, newest first: read once for the
    header and the ownership section (its transfer and claims)."""
    return _memo(
        customer,
        "pending",
        lambda: list(approvals.pending_for(customer).select_related("maker").order_by("-created_at", "-id")[:PENDING_LIMIT]),
    )


def identity_documents(customer):
    return _memo(
        customer,
        "identity",
        lambda: list(IdentityDocument.objects.filter(customer=customer).order_by("-is_primary", "doc_type", "pk")),
    )


def latest_rates(customer):
    """{currency: rate to the bank's base currency}: the latest posted rate of each currency, one query."""

    def load():
        rates = FxRate.objects.day_rates(customer.bank_id)
        rates[customer.bank.base_currency] = Decimal(1)
        return rates

    return _memo(customer, "rates", load)


def to_base(amount, currency, rates):
    rate = rates.get(currency)
    return None if rate is None else (amount * rate).quantize(Decimal("0.01"))


def header_context(customer, user):
    today = timezone.localdate()
    alerts = []
    for document in identity_documents(customer):
        if document.expiry_date is None:
            continue
        if document.expiry_date < today:
            alerts.append(
                (
                    "danger",
                    _("%(doc)s expired on %(date)s.")
                    % {"doc": document.get_doc_type_display(), "date": document.expiry_date.isoformat()},
                )
            )
        elif document.expiry_date <= today + datetime.timedelta(days=ID_EXPIRY_WARNING_DAYS):
            alerts.append(
                (
                    "warning",
                    _("%(doc)s expires on %(date)s.")
                    % {"doc": document.get_doc_type_display(), "date": document.expiry_date.isoformat()},
                )
            )
    if customer.do_not_contact:
        alerts.append(("secondary", _("Do not contact this customer.")))
    pending = pending_requests(customer)[:10]
    for change in pending:
        change.action_label = approvals.label_for(change.action)
        change.field_labels = approvals.field_labels(change)
    return {"tags": list(customer.tags.all()), "alerts": alerts, "pending_changes": pending, "stars": range(customer.star_rating)}


def profile_context(customer, user):
    profile = customer.retail_profile if customer.is_retail else customer.corporate_profile
    return {"profile": profile}


def contacts_context(customer, user):
    return {
        "contact_points": list(ContactPoint.objects.filter(customer=customer).order_by("-is_primary", "kind", "pk")),
        "addresses": list(Address.objects.filter(customer=customer).order_by("-is_primary", "kind", "pk")),
    }


def identity_context(customer, user):
    return {"identity_documents": identity_documents(customer)}


RELATED_CUSTOMER_FIELDS = tuple(
    f"{side}__{field}"
    for side in ("from_customer", "to_customer")
    for field in ("number", "name_local", "bank_id", "branch_id", "primary_manager_id")
)


def relations_of(customer, user, limit):
    """The customer's relationships in both directions, read from this customer's side:
    [{pk, other, visible, label, share_percent, note}] in one query. Whether the other customer
    is in the user's scope is decided by the scope's rule (ocrm.scoping.ScopeRule), worked out
    once for the page."""
    rule = Customer.objects.scope_rule(user)
    rows = (
        Relationship.objects.filter(Q(from_customer=customer) | Q(to_customer=customer), bank_id=customer.bank_id)
        .select_related("from_customer", "to_customer")
        # Of the customers at either end, what the section and the scope rule read (not their wide rows).
        .only("bank_id", "kind", "share_percent", "note", "from_customer", "to_customer", *RELATED_CUSTOMER_FIELDS)
        .annotate(
            **rule.annotations("from_customer", "from", '"customers_relationship"."from_customer_id"'),
            **rule.annotations("to_customer", "to", '"customers_relationship"."to_customer_id"'),
        )
        .order_by("kind", "pk")[:limit]
    )
    relations = []
    for row in rows:
        outgoing = row.from_customer_id == customer.pk
        other = row.to_customer if outgoing else row.from_customer
        relations.append(
            {
                "pk": row.pk,
                "other": other,
                # Names of customers outside the user's scope are not shown, only that a relation exists.
                "visible": rule.visible(other, row, "to" if outgoing else "from"),
                "label": row.get_kind_display() if outgoing else Relationship.INVERSE[row.kind],
                "share_percent": row.share_percent,
                "note": row.note,
            }
        )
    return relations


def relationships_context(customer, user):
    relations = relations_of(customer, user, RELATIONSHIPS_LIMIT)
    return {"relations": relations, "graph": relationship_graph(customer, relations[:GRAPH_NODES])}


def relationship_graph(customer, relations, width=360, height=280):
    """Node positions for the inline SVG: the customer in the middle, relations on a circle."""
    cx, cy, radius = width / 2, height / 2, min(width, height) / 2 - 40
    nodes = []
    for index, relation in enumerate(relations):
        angle = 2 * math.pi * index / max(len(relations), 1) - math.pi / 2
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        nodes.append(
            {
                **relation,
                "x": round(x, 1),
                "y": round(y, 1),
                "label_x": round((cx + x) / 2, 1),
                "label_y": round((cy + y) / 2 - 4, 1),
            }
        )
    return {"width": width, "height": height, "cx": cx, "cy": cy, "nodes": nodes}


def household_context(customer, user):
    household_id = customer.household_id or 0  # 0 matches nothing: the same two queries with or without one
    rule = Customer.objects.scope_rule(user)
    members = list(
        Customer.objects.filter(household_id=household_id, bank_id=customer.bank_id)
        .annotate(**rule.annotations("", "member", '"customers_customer"."id"'))
        .only("pk", "number", "name_local", "name_latin", "household_id", "bank_id", "branch_id", "primary_manager_id")
        .order_by("number")
    )
    for member in members:
        member.visible = rule.visible(member, member, "member")
    sums = (
        Holding.objects.filter(
            customer__household_id=household_id, bank_id=customer.bank_id, product__category=Product.Category.ASSET
        )
        .exclude(status=Holding.Status.CLOSED)
        .values("customer_id", "currency")
        .annotate(total=Sum("balance"))
    )
    rates = latest_rates(customer)
    by_member, missing, total = {}, set(), Decimal(0)
    for row in sums:
        amount = to_base(row["total"], row["currency"], rates)
        if amount is None:
            missing.add(row["currency"])
            continue
        by_member[row["customer_id"]] = by_member.get(row["customer_id"], Decimal(0)) + amount
        total += amount
    for member in members:
        member.aum_base = by_member.get(member.pk, Decimal(0))
    return {
        "household": customer.household,
        "members": members,
        "household_aum": total,
        "missing_rates": sorted(missing),
        "base_currency": customer.bank.base_currency,
    }


def holdings_context(customer, user):
    holdings = list(
        Holding.objects.filter(customer=customer)
        .exclude(status=Holding.Status.CLOSED)
        .select_related("product")
        .order_by("product__product_type", "account_number")
    )
    rates = latest_rates(customer)
    groups = {
        value: {"category": value, "label": label, "holdings": [], "total": Decimal(0), "missing_rates": set()}
        for value, label in Product.Category.choices
    }
    for holding in holdings:
        group = groups[holding.product.category]
        holding.balance_base = to_base(holding.balance, holding.currency, rates)
        if holding.balance_base is None:
            group["missing_rates"].add(holding.currency)
        else:
            group["total"] += holding.balance_base
        group["holdings"].append(holding)
    for group in groups.values():
        group["missing_rates"] = sorted(group["missing_rates"])
    return {"holding_groups": list(groups.values()), "base_currency": customer.bank.base_currency}


def assets_chart_context(customer, user):
    since = timezone.localdate() - datetime.timedelta(days=CHART_DAYS)
    rows = (
        HoldingBalance.objects.filter(
            customer_id=customer.pk,
            bank_id=customer.bank_id,
            business_date__gte=since,
            holding__product__category=Product.Category.ASSET,
        )
        .values("business_date")
        .annotate(total=Sum("balance_base"))
        .order_by("business_date")
    )
    points = [{"date": row["business_date"].isoformat(), "total": float(row["total"])} for row in rows]
    return {"chart_points": points, "base_currency": customer.bank.base_currency}


def _day_start(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# What a row of the transactions table shows (transaction_rows), read as plain values: model
# instances of a transaction and its holding cost more than the rest of the section.
TRANSACTION_FIELDS = (
    "occurred_at",
    "holding__account_number",
    "channel",
    "txn_type",
    "direction",
    "amount",
    "currency",
    "description",
)


def transactions_page(customer, params=None):
    """One page of the customer's transactions, newest first, in one query. Pages are read
    with LIMIT page size + 1 (no COUNT over tens of millions of rows) to know if there is a next."""
    form = TransactionFilterForm(params or {})
    if not form.is_valid():
        return {"txn_form": form, "transactions": [], "page": 1, "has_next": False, "has_previous": False}
    data = form.cleaned_data
    page = data.get("page") or 1
    qs = Transaction.objects.filter(customer_id=customer.pk, bank_id=customer.bank_id)
    if data.get("channel"):
        qs = qs.filter(channel=data["channel"])
    # Dates are the user's calendar days (the active time zone).
    if data.get("date_from"):
        qs = qs.filter(occurred_at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        qs = qs.filter(occurred_at__lt=_day_start(data["date_to"] + datetime.timedelta(days=1)))
    offset = (page - 1) * TRANSACTIONS_PER_PAGE
    rows = list(qs.order_by("-occurred_at", "-id").values_list(*TRANSACTION_FIELDS)[offset : offset + TRANSACTIONS_PER_PAGE + 1])
    query = {k: v for k, v in form.data.items() if k != "page" and v}
    return {
        "txn_form": form,
        "transactions": rows[:TRANSACTIONS_PER_PAGE],
        "transaction_rows": transaction_rows(rows[:TRANSACTIONS_PER_PAGE]),
        "page": page,
        "has_next": len(rows) > TRANSACTIONS_PER_PAGE,
        "has_previous": page > 1,
        "txn_query": query,
    }


def transaction_rows(transactions):
    """The table rows of `transactions` (tuples of TRANSACTION_FIELDS), written in Python: the template's per-cell filters (time
    zone, masking, number format) cost more than a third of the 360 page's template time."""
    rows = []
    # The channels' labels once per page: get_channel_display() hashes every (lazy) label per row.
    channels = {key: str(label) for key, label in Transaction._meta.get_field("channel").flatchoices}
    for occurred_at, account, channel, txn_type, direction, amount, currency, description in transactions:
        debit = direction == "D"
        rows.append(
            format_html(
                '<tr class="txn-row">\n    <td>{}</td><td class="font-monospace">{}</td>\n    <td>{}</td><td>{}</td>\n'
                '    <td class="text-end {}">{}{} {}</td>\n    <td>{}</td></tr>\n  ',
                date_format(timezone.localtime(occurred_at), "Y-m-d H:i"),
                pii.mask(account, "account") if account else account,
                channels.get(channel, channel),
                Transaction.label_of_type(txn_type),
                "text-danger" if debit else "text-success",
                "−" if debit else "+",
                floatformat(amount, "2g"),
                currency,
                description,
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - each row is built by format_html


def transactions_context(customer, user):
    return transactions_page(customer)


def service_contacts_context(customer, user):
    return {
        "service_contacts": list(
            ServiceContact.objects.filter(customer=customer)
            .select_related("staff")
            .order_by("-occurred_at", "-pk")[:TIMELINE_LIMIT]
        )
    }


def documents_context(customer, user):
    return {
        "documents": list(CustomerDocument.objects.filter(customer=customer).order_by("-uploaded_at", "-pk")[:DOCUMENTS_LIMIT])
    }


def notes_context(customer, user):
    return {
        "notes": list(
            CustomerNote.objects.filter(customer=customer)
            .select_related("author")
            .order_by("-created_at", "-pk")[:TIMELINE_LIMIT]
        )
    }


def history_context(customer, user):
    return {
        "lifecycle_history": list(
            LifecycleChange.objects.filter(customer=customer).order_by("-changed_at", "-pk")[:HISTORY_LIMIT]
        ),
        "rating_history": list(RatingChange.objects.filter(customer=customer).order_by("-changed_at", "-pk")[:HISTORY_LIMIT]),
    }


def register_sections():
    tpl = "customers/sections/{}.html".format
    register("header", _("Summary"), tpl("header"), header_context, order=0)
    register("profile", _("Profile"), tpl("profile"), profile_context, order=10)
    register(
        "contacts", _("Contacts and addresses"), tpl("contacts"), contacts_context, order=20, perm="customers.view_contactpoint"
    )
    register(
        "identity", _("Identity documents"), tpl("identity"), identity_context, order=25, perm="customers.view_identitydocument"
    )
    register("holdings", _("Holdings"), tpl("holdings"), holdings_context, order=30, perm="customers.view_holding")
    # Deferred: a year of balances is read from a dozen monthly partitions (their planning alone costs
    # more than the query) for a chart that script draws anyway; the holdings above come first.
    register(
        "assets_chart",
        _("Assets over time"),
        tpl("assets_chart"),
        assets_chart_context,
        order=35,
        perm="customers.view_holding",
        deferred=True,
    )
    register(
        "relationships",
        _("Relationships"),
        tpl("relationships"),
        relationships_context,
        order=40,
        perm="customers.view_relationship",
        deferred=True,
    )
    register(
        "household",
        _("Household"),
        tpl("household"),
        household_context,
        order=45,
        perm="customers.view_holding",
        kinds=("retail",),
        deferred=True,
    )
    register(
        "transactions",
        _("Recent transactions"),
        tpl("transactions"),
        transactions_context,
        order=50,
        perm="customers.view_transaction",
    )
    register(
        "service_contacts",
        _("Contact history"),
        tpl("service_contacts"),
        service_contacts_context,
        order=70,
        perm="customers.view_servicecontact",
        deferred=True,
    )
    # Below the fold, deferred: the page shows their controls at once and their rows a moment later.
    register(
        "documents",
        _("Documents"),
        tpl("documents"),
        documents_context,
        order=80,
        perm="customers.view_customerdocument",
        deferred=True,
    )
    register("notes", _("Notes"), tpl("notes"), notes_context, order=85, perm="customers.view_customernote", deferred=True)
    register("history", _("Lifecycle and rating history"), tpl("history"), history_context, order=90, deferred=True)
