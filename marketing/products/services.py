"""The product catalog: versions of a product's parameters with maker-checker, and suitability.

* write_draft(): a product manager (marketing.maintain_product) writes a draft version;
* submit(): the draft becomes a ChangeRequest "product.publish" (checker permission
  marketing.approve_product) that another person decides in the approvals inbox;
* apply_publish_request(): on approval the version is published and the fields that
  customers.Product holds (risk level) are copied to it — the only path that changes them, since
  customers.Product.risk_level is guarded (ocrm.approvals.guard), admin included.

Suitability (the hard rule, docs/products.md): a product whose risk level exceeds the customer's
is never proposed; a customer without an assessed risk level is offered only R1 products."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.master.models import Product
from marketing.products.models import ProductVersion
from ocrm.approvals import services as approvals
from ocrm.errors import NotVisible
from ocrm.scoping import scope_of

ACTION_PUBLISH = "product.publish"
MAINTAIN_PERM = "marketing.maintain_product"
CHECKER_PERM = "marketing.approve_product"
PARAMETER_FIELDS = (
    "rate",
    "term_months",
    "min_amount",
    "fee",
    "risk_level",
    "channels",
    "sale_start",
    "sale_end",
    "segments",
)
# Fields of customers.Product that a published version sets.
PRODUCT_FIELDS = ("risk_level",)
RISK_ORDER = ("R1", "R2", "R3", "R4", "R5")
LOWEST_RISK = RISK_ORDER[0]


def _version_model():
    return ProductVersion


def products_visible_to(user):
    if scope_of(user) == "all":
        return Product.objects.all()
    if user is None or not user.is_authenticated or user.bank_id is None or scope_of(user) is None:
        return Product.objects.none()
    return Product.objects.filter(bank_id=user.bank_id)


def versions_visible_to(user):
    ProductVersion = _version_model()
    if scope_of(user) == "all":
        return ProductVersion.objects.all()
    if scope_of(user) is None:
        return ProductVersion.objects.none()
    return ProductVersion.objects.filter(bank_id=user.bank_id)


def get_product(user, pk):
    product = products_visible_to(user).filter(pk=pk).first()
    if product is None:
        raise NotVisible
    return product


def _json_value(value):
    return None if value is None else (value if isinstance(value, (list, int, str)) else str(value))


def _validate(params):
    errors = {}
    if params.get("risk_level") and params["risk_level"] not in RISK_ORDER:
        errors["risk_level"] = _("Choose a risk level from R1 to R5.")
    start, end = params.get("sale_start"), params.get("sale_end")
    if start and end and end < start:
        errors["sale_end"] = _("The sale period ends before it starts.")
    for name in ("rate", "min_amount", "fee"):
        if params.get(name) is not None and params[name] < 0:
            errors[name] = _("Must not be negative.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def write_draft(actor, product_pk, params):
    """A new draft version of the product (numbered after the last one)."""
    if not actor.has_perm(MAINTAIN_PERM):
        raise PermissionDenied(_("You may not maintain products."))
    product = get_product(actor, product_pk)
    unknown = set(params) - set(PARAMETER_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown parameters: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    _validate(params)
    ProductVersion = _version_model()
    Product.objects.select_for_update().filter(pk=product.pk).first()  # numbers one at a time
    last = ProductVersion.objects.filter(product=product).aggregate(n=Max("number"))["n"] or 0
    return ProductVersion.objects.create(bank_id=product.bank_id, product=product, number=last + 1, made_by=actor, **params)


def published_version(product):
    return _version_model().objects.filter(product=product, status="published").order_by("-number").first()


def diff(version):
    """{field: [previous published value, this version's value]} for the fields that differ."""
    previous = (
        _version_model()
        .objects.filter(product_id=version.product_id, status="published", number__lt=version.number)
        .order_by("-number")
        .first()
    )
    changes = {}
    for name in PARAMETER_FIELDS:
        before = getattr(previous, name) if previous else None
        after = getattr(version, name)
        if before != after:
            changes[name] = [_json_value(before), _json_value(after)]
    return changes


@transaction.atomic
def submit(actor, version_pk, reason=""):
    ProductVersion = _version_model()
    if not actor.has_perm(MAINTAIN_PERM):
        raise PermissionDenied(_("You may not maintain products."))
    version = versions_visible_to(actor).select_for_update().filter(pk=version_pk).first()
    if version is None:
        raise NotVisible
    if version.status != ProductVersion.Status.DRAFT:
        raise ValidationError(_("Only a draft can be submitted."))
    request = approvals.submit(
        action=ACTION_PUBLISH,
        obj=version,
        changes=diff(version),
        maker=actor,
        bank_id=version.bank_id,
        payload={"version": version.pk},
        reason=reason,
    )
    version.status = ProductVersion.Status.PENDING
    version.save(update_fields=["status"])
    return request


def apply_publish_request(change_request, checker):
    ProductVersion = _version_model()
    version = ProductVersion.objects.select_for_update().get(pk=change_request.payload["version"])
    if version.status != ProductVersion.Status.PENDING:
        raise ValidationError(_("This version is no longer waiting for approval."))
    version.status = ProductVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
    Product.objects.filter(pk=version.product_id).update(**{name: getattr(version, name) for name in PRODUCT_FIELDS})


def reject_publish_request(change_request, checker):
    _version_model().objects.filter(pk=change_request.payload["version"], status="pending").update(status="rejected")


def register_handlers():
    """Called from MarketingConfig.ready()."""
    approvals.register(
        ACTION_PUBLISH,
        apply=apply_publish_request,
        checker_perm=CHECKER_PERM,
        label=gettext_lazy("Publish a product version"),
        on_reject=reject_publish_request,
    )
    # The risk level of a product changes only through an approved version (every path, admin too).
    approvals.guard(Product, PRODUCT_FIELDS)


# --- suitability and eligibility ----------------------------------------------------------------------


def risk_rank(level):
    return RISK_ORDER.index(level) if level in RISK_ORDER else None


def suitability(customer_risk, product_risk):
    """(suitable, reason). The hard rule: never a product above the customer's risk level; a
    customer without an assessment only gets the lowest-risk products; a product without a risk
    level is treated as the highest (never assumed safe)."""
    product_rank = risk_rank(product_risk)
    if product_rank is None:
        return False, _("The product has no risk level, so it is not proposed.")
    customer_rank = risk_rank(customer_risk)
    if customer_rank is None:
        if product_rank == 0:
            return True, _("The customer has no risk assessment; only the lowest-risk products (R1) are proposed.")
        return False, _("The customer has no risk assessment; only the lowest-risk products (R1) are proposed.")
    if product_rank > customer_rank:
        return False, _("Product risk %(p)s exceeds the customer's risk level %(c)s.") % {
            "p": product_risk,
            "c": customer_risk,
        }
    return True, _("Product risk %(p)s is within the customer's risk level %(c)s.") % {
        "p": product_risk,
        "c": customer_risk,
    }


def eligible_products(customer, products, held_product_ids=()):
    """[(product, [reasons])] the customer may be offered: suitable, not held already."""
    held = set(held_product_ids)
    result = []
    for product in products:
        if product.pk in held or not product.is_active:
            continue
        ok, reason = suitability(customer.risk_level, product.risk_level)
        if ok:
            result.append((product, [reason]))
    return result
