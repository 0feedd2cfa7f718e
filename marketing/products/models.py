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
