"""Versions of a product's parameters: a draft written by a product manager, checked by another
(ocrm.approvals, action "product.publish"), then published; every version is kept (history)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.master.models import Customer, Product


class ProductVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Pending approval")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")

    bank_id = models.BigIntegerField(db_index=True)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    rate = models.DecimalField(_("rate %"), max_digits=7, decimal_places=4, null=True, blank=True)
    term_months = models.PositiveIntegerField(_("term (months)"), null=True, blank=True)
    min_amount = models.DecimalField(_("minimum amount"), max_digits=18, decimal_places=2, null=True, blank=True)
    fee = models.DecimalField(_("fee"), max_digits=18, decimal_places=2, null=True, blank=True)
    risk_level = models.CharField(_("risk level"), max_length=2, choices=Customer.Risk.choices, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    sale_start = models.DateField(_("sale start"), null=True, blank=True)
    sale_end = models.DateField(_("sale end"), null=True, blank=True)
    segments = models.JSONField(_("eligible segments"), default=list, blank=True)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("made by"), on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField(_("made at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("product version")
        verbose_name_plural = _("product versions")
        ordering = ["product", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="product_version_number_unique"),
        ]
        permissions = [
            ("maintain_product", "Can write product versions and submit them"),
            ("approve_product", "Can approve a product version (checker)"),
        ]

    def __str__(self):
        return f"{self.product.code} v{self.number}"


class Bundle(models.Model):
    """A scenario's set of products and services (按场景服务组合: new graduate, retiree, ...)."""

    bank_id = models.BigIntegerField(db_index=True)
    code = models.CharField(_("code"), max_length=30)
    name_local = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    scenario = models.CharField(_("scenario"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bundle")
        verbose_name_plural = _("bundles")
        ordering = ["bank_id", "code"]
        constraints = [models.UniqueConstraint(fields=["bank_id", "code"], name="bundle_code_unique_per_bank")]

    def __str__(self):
        return self.name_local


class BundleItem(models.Model):
    """A product of the bundle, or a service named in words (no product behind it)."""

    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT)
    service = models.CharField(_("service"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("bundle item")
        verbose_name_plural = _("bundle items")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(product__isnull=False) | ~models.Q(service=""), name="bundle_item_product_or_service"
            )
        ]

    def __str__(self):
        return str(self.product) if self.product_id else self.service


class BundleRule(models.Model):
    """One eligibility condition of a bundle; a customer qualifies when every rule holds."""

    class Kind(models.TextChoices):
        MIN_AGE = "min_age", _("Age at least")
        MAX_AGE = "max_age", _("Age at most")
        CUSTOMER_KIND = "customer_kind", _("Customer kind is")
        TIER_IN = "tier_in", _("Tier is one of")
        MIN_RISK = "min_risk", _("Risk level at least")
        VALID_ID = "valid_id", _("Has a valid identity document")
        HOLDS_TYPE = "holds_type", _("Holds a product of type")
        NOT_HOLDS_TYPE = "not_holds_type", _("Holds no product of type")

    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("rule"), max_length=20, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("bundle rule")
        verbose_name_plural = _("bundle rules")

    def __str__(self):
        return f"{self.get_kind_display()} {self.value}".strip()
