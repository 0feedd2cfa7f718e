"""The history the nightly lifecycle and rating job writes: one row per customer and business date that changed."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.master.models import Customer


class LifecycleChange(models.Model):
    bank_id = models.BigIntegerField()
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="lifecycle_history")
    stage_from = models.CharField(_("from"), max_length=10, choices=Customer.Lifecycle.choices, blank=True)
    stage_to = models.CharField(_("to"), max_length=10, choices=Customer.Lifecycle.choices)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    business_date = models.DateField(_("business date"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("lifecycle change")
        verbose_name_plural = _("lifecycle history")
        ordering = ["-changed_at"]
        indexes = [models.Index(fields=["customer", "-changed_at"], name="lifecycle_customer_time")]

    def __str__(self):
        return f"{self.customer_id} {self.stage_from}->{self.stage_to}"


class RatingChange(models.Model):
    bank_id = models.BigIntegerField()
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="rating_history")
    tier_from = models.CharField(_("tier from"), max_length=10, choices=Customer.Tier.choices, blank=True)
    tier_to = models.CharField(_("tier to"), max_length=10, choices=Customer.Tier.choices)
    stars_from = models.PositiveSmallIntegerField(_("stars from"), null=True, blank=True)
    stars_to = models.PositiveSmallIntegerField(_("stars to"))
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    business_date = models.DateField(_("business date"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("rating change")
        verbose_name_plural = _("rating history")
        ordering = ["-changed_at"]
        indexes = [models.Index(fields=["customer", "-changed_at"], name="rating_customer_time")]

    def __str__(self):
        return f"{self.customer_id} {self.tier_to} {self.stars_to}*"
