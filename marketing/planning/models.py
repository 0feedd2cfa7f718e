"""Wealth planning (理财规划): a plan for a customer saved as an illustration, versioned per
customer and immutable once written (what the customer was shown stays what was shown)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.master.models import Customer, CustomerChildQuerySet
from sysadmin.org.models import Bank


class IllustrationIsImmutable(Exception):
    """An illustration was shown to a customer: it is never changed; a new version is saved instead."""


class IllustrationQuerySet(CustomerChildQuerySet):
    def update(self, **kwargs):
        raise IllustrationIsImmutable("Plan illustrations are never updated; save a new version.")


class PlanIllustration(models.Model):
    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(_("version"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    currency = models.CharField(_("currency"), max_length=3)
    risk_level = models.CharField(_("risk level"), max_length=2, choices=Customer.Risk.choices, blank=True)
    risk_limit = models.CharField(_("highest product risk"), max_length=2, choices=Customer.Risk.choices)
    risk_note = models.TextField(_("why these products"))
    goals = models.JSONField(_("goals"), default=list)
    assets = models.JSONField(_("current assets"), default=dict)
    allocation = models.JSONField(_("suggested allocation"), default=list)
    rates = models.JSONField(_("rates used"), default=dict)
    disclosure = models.TextField(_("disclosure"))

    objects = IllustrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan illustration")
        verbose_name_plural = _("plan illustrations")
        ordering = ["customer", "-version"]
        constraints = [models.UniqueConstraint(fields=["customer", "version"], name="plan_illustration_version_unique")]

    def __str__(self):
        return f"{self.customer.number} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise IllustrationIsImmutable("Plan illustrations are never updated; save a new version.")
        super().save(*args, **kwargs)
