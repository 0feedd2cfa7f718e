"""What a customer may be offered: bundles whose every rule holds and suitable products they do
not hold yet, each with the reasons (docs/products.md). The facts about the customer are read in
a fixed number of queries (the 360 section and the channel API call it per customer).

Suitability is applied on top of every rule: a bundle's product above the customer's risk level
is left out of the bundle, with the reason, never proposed."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.master.models import Customer, Holding, IdentityDocument, Product
from marketing.products.models import Bundle, BundleItem, BundleRule
from marketing.products.services import INVESTMENT_TYPES, RISK_ORDER, risk_rank, suitability
from ocrm import tenants
from ocrm.batch.jobs import today as bank_today
from workbench.channelapi import offers


@dataclass
class Facts:
    kind: str
    tier: str
    risk_level: str
    birth_date: datetime.date | None
    today: datetime.date
    valid_id: bool
    held_product_ids: set = field(default_factory=set)
    held_types: set = field(default_factory=set)

    @property
    def age(self):
        if self.birth_date is None:
            return None
        years = self.today.year - self.birth_date.year
        return years - ((self.today.month, self.today.day) < (self.birth_date.month, self.birth_date.day))


def facts_of(customer, today=None):
    today = today or bank_today(customer.bank_id)
    birth = None
    if customer.kind == Customer.Kind.RETAIL:
        profile = getattr(customer, "retail_profile", None)
        birth = profile.birth_date if profile is not None else None
    valid_id = IdentityDocument.objects.filter(customer=customer).filter(models_q_valid(today)).exists()
    held = list(
        Holding.objects.filter(customer=customer)
        .exclude(status=Holding.Status.CLOSED)
        .values_list("product_id", "product__product_type")
    )
    return Facts(
        kind=customer.kind,
        tier=customer.tier,
        risk_level=customer.risk_level,
        birth_date=birth,
        today=today,
        valid_id=valid_id,
        held_product_ids={pid for pid, _t in held},
        held_types={ptype for _p, ptype in held},
    )


def models_q_valid(today):
    return Q(expiry_date__isnull=True) | Q(expiry_date__gte=today)


def check_rule(rule, facts):
    """(holds, reason) of one rule for these facts; a missing fact never satisfies a rule."""
    kind, value = rule.kind, rule.value
    if kind in (BundleRule.Kind.MIN_AGE, BundleRule.Kind.MAX_AGE):
        if facts.age is None:
            return False, _("The birth date is not known.")
        limit = int(value)
        holds = facts.age >= limit if kind == BundleRule.Kind.MIN_AGE else facts.age <= limit
        label = _("at least") if kind == BundleRule.Kind.MIN_AGE else _("at most")
        return holds, _("Age %(age)s (%(label)s %(limit)s).") % {"age": facts.age, "label": label, "limit": limit}
    if kind == BundleRule.Kind.CUSTOMER_KIND:
        return facts.kind == value, _("Customer kind %(kind)s.") % {"kind": Customer.Kind(facts.kind).label}
    if kind == BundleRule.Kind.TIER_IN:
        allowed = {v.strip() for v in value.split(",") if v.strip()}
        return facts.tier in allowed, _("Tier %(tier)s.") % {"tier": Customer.Tier(facts.tier).label}
    if kind == BundleRule.Kind.MIN_RISK:
        rank = risk_rank(facts.risk_level)
        if rank is None:
            return False, _("The customer has no risk assessment.")
        return rank >= risk_rank(value), _("Risk level %(risk)s (at least %(min)s).") % {
            "risk": facts.risk_level,
            "min": value,
        }
    if kind == BundleRule.Kind.VALID_ID:
        return facts.valid_id, (_("An identity document is valid.") if facts.valid_id else _("No valid identity document."))
    if kind == BundleRule.Kind.HOLDS_TYPE:
        label = Product.Type(value).label
        holds = value in facts.held_types
        return holds, (_("Holds a %(t)s.") if holds else _("Holds no %(t)s.")) % {"t": label}
    if kind == BundleRule.Kind.NOT_HOLDS_TYPE:
        label = Product.Type(value).label
        holds = value not in facts.held_types
        return holds, (_("Holds no %(t)s.") if holds else _("Holds a %(t)s.")) % {"t": label}
    return False, _("Unknown rule.")


@dataclass
class BundleResult:
    bundle: Bundle
    eligible: bool
    reasons: list  # [(holds, reason)] one per rule
    products: list  # [(product, suitability reason)] suitable and not held
    left_out: list  # [(product, reason)] left out for suitability or already held


def evaluate_bundle(bundle, facts):
    reasons = [check_rule(rule, facts) for rule in bundle.rules.all()]
    products, left_out = [], []
    for item in bundle.items.all():
        if item.product is None:
            continue
        if item.product_id in facts.held_product_ids:
            left_out.append((item.product, _("Already held.")))
            continue
        ok, reason = suitability(facts.risk_level, item.product.risk_level, item.product.product_type)
        (products if ok else left_out).append((item.product, reason))
    return BundleResult(bundle, all(holds for holds, _r in reasons), reasons, products, left_out)


def bundles_for(customer, facts=None):
    """[BundleResult] of every active bundle of the customer's bank (eligible or not)."""
    facts = facts or facts_of(customer)
    bundles = Bundle.objects.filter(bank_id=customer.bank_id, is_active=True).prefetch_related(
        "rules", Prefetch("items", queryset=BundleItem.objects.select_related("product"))
    )
    return [evaluate_bundle(bundle, facts) for bundle in bundles]


def suitable_products_for(customer, facts=None):
    """[(product, reason)] active products of the bank the customer may be offered and lacks."""
    facts = facts or facts_of(customer)
    allowed = RISK_ORDER[: (risk_rank(facts.risk_level) if risk_rank(facts.risk_level) is not None else 0) + 1]
    candidates = (
        Product.objects.filter(bank_id=customer.bank_id, is_active=True)
        .filter(Q(risk_level__in=allowed) | (Q(risk_level="") & ~Q(product_type__in=INVESTMENT_TYPES)))
        .exclude(pk__in=facts.held_product_ids)
        .order_by("code")
    )
    result = []
    for product in candidates:
        ok, reason = suitability(facts.risk_level, product.risk_level, product.product_type)
        if ok:  # the hard rule again, whatever the query above let through
            result.append((product, reason))
    return result


def _bank_bundles(bank_id):
    return list(
        Bundle.objects.filter(bank_id=bank_id, is_active=True).prefetch_related(
            "rules", Prefetch("items", queryset=BundleItem.objects.select_related("product"))
        )
    )


def _bank_products(bank_id):
    return list(Product.objects.filter(bank_id=bank_id, is_active=True).order_by("code"))


def _suitable_among(products, facts):
    """suitable_products_for()'s filter, in Python over the bank's cached product list."""
    rank = risk_rank(facts.risk_level)
    allowed = set(RISK_ORDER[: (rank if rank is not None else 0) + 1])
    result = []
    for product in products:
        if product.pk in facts.held_product_ids:
            continue
        if not (product.risk_level in allowed or (product.risk_level == "" and product.product_type not in INVESTMENT_TYPES)):
            continue
        ok, reason = suitability(facts.risk_level, product.risk_level, product.product_type)
        if ok:
            result.append((product, reason))
    return result


def channel_offers(customer, channel_kind):
    """The channel API's provider: eligible bundles and suitable products, with reasons. The bank's
    bundles and products come from the worker's copy (offers.bank_wide, refreshed when they change,
    see on_catalogue_change); the customer's facts are read on every call."""
    zone = offers.bank_wide("marketing.bank_zone", customer.bank_id, lambda: tenants.bank_zone(customer.bank_id))
    facts = facts_of(customer, today=timezone.now().astimezone(zone).date())  # bank_today() without its query
    bundles = offers.bank_wide("marketing.bundles", customer.bank_id, lambda: _bank_bundles(customer.bank_id))
    products = offers.bank_wide("marketing.products", customer.bank_id, lambda: _bank_products(customer.bank_id))
    result = []
    for bundle in bundles:
        item = evaluate_bundle(bundle, facts)
        if item.eligible and item.products:
            result.append(
                offers.Offer(
                    kind="bundle",
                    reference=f"bundle:{item.bundle.code}",
                    title=item.bundle.name_local,
                    reasons=tuple(reason for _h, reason in item.reasons),
                )
            )
    for product, reason in _suitable_among(products, facts):
        result.append(
            offers.Offer(kind="product", reference=f"product:{product.code}", title=product.name_local, reasons=(reason,))
        )
    return result


def on_catalogue_change(sender, **kwargs):
    offers.changed()


def register_providers():
    offers.register("marketing.products", channel_offers, order=50)
    # The channel API's copies of the bank's bundles and products follow every change made through the ORM.
    for model in (Bundle, BundleItem, BundleRule, Product):
        post_save.connect(on_catalogue_change, sender=model, dispatch_uid=f"offers-catalogue-save-{model.__name__}")
        post_delete.connect(on_catalogue_change, sender=model, dispatch_uid=f"offers-catalogue-delete-{model.__name__}")
