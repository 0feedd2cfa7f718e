"""Wealth planning: a customer's goals, current assets (holdings at the latest posted rates, and
assets declared at other banks), the suggested allocation over product types using ONLY suitable
products (product risk level at or below the customer's; a customer without an assessed risk
level gets the lowest level only), saved as a versioned, immutable illustration with the rates
and disclosure text used."""

import dataclasses
import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.master.models import Customer, Holding, Product
from customers.profile.sections import latest_rates, to_base
from marketing.calculators import formulas
from marketing.calculators import services as calculators
from marketing.planning import events
from marketing.planning.models import PlanIllustration
from ocrm.audit import services as audit

LOWEST_RISK = Customer.Risk.R1
RISK_ORDER = [value for value, _label in Customer.Risk.choices]

# Target weights (%) of each product type by the customer's risk level, before unsuitable or
# unavailable types are dropped (the rest is scaled back to 100 %).
TARGET_WEIGHTS = {
    "R1": {"time_deposit": 60, "wealth": 40},
    "R2": {"time_deposit": 40, "wealth": 40, "bond": 20},
    "R3": {"time_deposit": 20, "wealth": 30, "bond": 25, "fund": 25},
    "R4": {"time_deposit": 10, "wealth": 20, "bond": 20, "fund": 50},
    "R5": {"time_deposit": 5, "wealth": 15, "bond": 10, "fund": 70},
}
# Assumed annual returns (%) per product type: illustrative, recorded in each illustration.
ASSUMED_RETURNS = {"time_deposit": "1.50", "wealth": "2.80", "bond": "3.00", "fund": "6.00"}
PRODUCTS_PER_TYPE = 3


def risk_limit(customer):
    """(highest product risk level allowed, why): the customer's assessed level, else the lowest."""
    if customer.risk_level:
        return customer.risk_level, _("Products up to the customer's assessed risk level %(level)s.") % {
            "level": customer.get_risk_level_display()
        }
    return LOWEST_RISK, _(
        "The customer has no assessed risk level: only the lowest-risk products (%(level)s) are suggested "
        "until a risk assessment is done."
    ) % {"level": Customer.Risk(LOWEST_RISK).label}


def is_suitable(product_risk, limit):
    """A product is suitable when it has a risk level and it is at or below the limit."""
    return bool(product_risk) and RISK_ORDER.index(product_risk) <= RISK_ORDER.index(limit)


def suitable_products(customer, limit):
    """Active asset products of the customer's bank rated at or below `limit`, one query."""
    allowed = RISK_ORDER[: RISK_ORDER.index(limit) + 1]
    return list(
        Product.objects.filter(
            bank_id=customer.bank_id,
            is_active=True,
            category=Product.Category.ASSET,
            product_type__in=list(TARGET_WEIGHTS[limit]),
            risk_level__in=allowed,
        ).order_by("product_type", "risk_level", "code")
    )


def current_assets(customer):
    """Asset holdings in force in the bank's base currency at the latest posted rates (two queries)."""
    rates = latest_rates(customer)
    total, rows, missing = Decimal("0.00"), [], set()
    holdings = (
        Holding.objects.filter(customer=customer, product__category=Product.Category.ASSET)
        .exclude(status=Holding.Status.CLOSED)
        .select_related("product")
        .order_by("product__product_type", "account_number")
    )
    for holding in holdings:
        base = to_base(holding.balance, holding.currency, rates)
        if base is None:
            missing.add(holding.currency)
            continue
        total += base
        rows.append(
            {
                "product": holding.product.name_local,
                "currency": holding.currency,
                "balance": str(holding.balance),
                "base": str(base),
            }
        )
    return total, rows, sorted(missing)


def allocate(total, limit, products, rounding):
    """[{type, weight, amount, products}] over the types that have a suitable product; the amounts
    sum to `total` to the cent (the last type absorbs rounding)."""
    by_type = {}
    for product in products:
        if is_suitable(product.risk_level, limit):
            by_type.setdefault(product.product_type, []).append(product)
    weights = {kind: Decimal(w) for kind, w in TARGET_WEIGHTS[limit].items() if kind in by_type}
    weight_sum = sum(weights.values(), Decimal(0))
    rows, left = [], total
    for index, (kind, weight) in enumerate(weights.items()):
        share = weight / weight_sum
        amount = left if index == len(weights) - 1 else formulas.money(total * share, rounding)
        left -= amount
        rows.append(
            {
                "type": kind,
                "label": str(Product.Type(kind).label),
                "weight": str(formulas.money(share * 100, rounding)),
                "amount": str(amount),
                "assumed_return": ASSUMED_RETURNS[kind],
                "products": [
                    {"code": p.code, "name": p.name_local, "risk_level": p.risk_level} for p in by_type[kind][:PRODUCTS_PER_TYPE]
                ],
            }
        )
    return rows


def blended_return(allocation):
    """The weighted assumed return (%) of the allocation; the lowest-risk type's when there is none."""
    if not allocation:
        return Decimal(ASSUMED_RETURNS["time_deposit"])
    return sum((Decimal(row["weight"]) * Decimal(row["assumed_return"]) / 100 for row in allocation), Decimal(0))


def months_between(start, end):
    return max((end.year - start.year) * 12 + end.month - start.month, 1)


@dataclasses.dataclass
class Plan:
    customer: Customer
    currency: str
    risk_limit: str
    risk_note: str
    goals: list
    assets: dict
    allocation: list
    rates: dict
    disclosure: str


def build_plan(customer, goals, other_bank_assets, today=None):
    """The plan (nothing saved): goals are [(name, amount, date)]. The current assets are spread
    over the goals in proportion to their amounts; each goal gets the monthly saving still
    needed at the allocation's blended assumed return."""
    today = today or timezone.localdate()
    bank = customer.bank
    rounding = calculators.rounding_for(bank)
    limit, note = risk_limit(customer)
    held, holdings, missing = current_assets(customer)
    other = formulas.money(other_bank_assets or 0, rounding)
    total = held + other
    allocation = allocate(total, limit, suitable_products(customer, limit), rounding)
    if not allocation:
        note = f"{note} {_('No suitable product is on offer now: nothing is suggested.')}"
    annual_return = formulas.money(blended_return(allocation), rounding)
    goal_total = sum((Decimal(amount) for _name, amount, _date in goals), Decimal(0))
    goal_rows = []
    for name, amount, due in goals:
        savings = formulas.money(total * Decimal(amount) / goal_total, rounding) if goal_total else Decimal(0)
        months = months_between(today, due)
        goal_rows.append(
            {
                "name": name,
                "amount": str(formulas.money(amount, rounding)),
                "date": due.isoformat(),
                "months": months,
                "savings_applied": str(savings),
                "monthly_saving": str(formulas.monthly_saving_needed(amount, months, annual_return, savings, rounding)),
            }
        )
    return Plan(
        customer=customer,
        currency=bank.base_currency,
        risk_limit=limit,
        risk_note=note,
        goals=goal_rows,
        assets={
            "holdings": holdings,
            "held": str(held),
            "other_banks": str(other),
            "total": str(total),
            "missing_rates": missing,
        },
        allocation=allocation,
        rates={
            "assumed_returns": dict(ASSUMED_RETURNS),
            "blended_return": str(annual_return),
            "rounding": next(k for k, v in formulas.ROUNDING_MODES.items() if v == rounding),
            "fx": {currency: str(rate) for currency, rate in latest_rates(customer).items()},
            "as_of": today.isoformat(),
        },
        disclosure=calculators.disclosure_for(bank),
    )


def save_illustration(plan, user, request=None):
    """Write the plan as the customer's next illustration version (the customer's row is locked
    so two savers never take the same number) and audit it."""
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=plan.customer.pk).values_list("pk").get()
        latest = PlanIllustration.objects.filter(customer=plan.customer).aggregate(v=Max("version"))["v"] or 0
        with audit.written_by_event(PlanIllustration):
            illustration = PlanIllustration.objects.create(
                bank_id=plan.customer.bank_id,
                customer=plan.customer,
                version=latest + 1,
                created_by=user,
                currency=plan.currency,
                risk_level=plan.customer.risk_level,
                risk_limit=plan.risk_limit,
                risk_note=plan.risk_note,
                goals=plan.goals,
                assets=plan.assets,
                allocation=plan.allocation,
                rates=plan.rates,
                disclosure=plan.disclosure,
            )
        events.illustration_saved(illustration, user, request)
    return illustration


def illustrations_of(customer, limit=20):
    return list(PlanIllustration.objects.filter(customer=customer).select_related("created_by").order_by("-version")[:limit])


def default_goal_date(today=None):
    today = today or timezone.localdate()
    return datetime.date(today.year + 10, today.month, 1)
