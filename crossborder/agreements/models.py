"""Cross-border agreements between two banks (tenants): bilateral consent by each bank's system
administrators; either side may suspend, which cuts access at once (every request look-up
checks the agreement, nothing is cached)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sysadmin.org.models import Bank


class AgreementQuerySet(models.QuerySet):
    def of_bank(self, bank_id):
        return self.filter(Q(bank_a_id=bank_id) | Q(bank_b_id=bank_id))

    def between(self, one_bank_id, other_bank_id):
        low, high = sorted((one_bank_id, other_bank_id))
        return self.filter(bank_a_id=low, bank_b_id=high)

    def in_force(self):
        return self.filter(
            accepted_by_a_at__isnull=False,
            accepted_by_b_at__isnull=False,
            suspended_by_a_at__isnull=True,
            suspended_by_b_at__isnull=True,
        )


class CrossBorderAgreement(models.Model):
    """One row per pair of banks, bank_a the lower id (one agreement whichever side proposed)."""

    bank_a = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    bank_b = models.ForeignKey(Bank, verbose_name=_("partner bank"), on_delete=models.PROTECT, related_name="+")
    accepted_by_a = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by_a_at = models.DateTimeField(null=True, blank=True)
    accepted_by_b = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by_b_at = models.DateTimeField(null=True, blank=True)
    suspended_by_a_at = models.DateTimeField(null=True, blank=True)
    suspended_by_b_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("cross-border agreement")
        verbose_name_plural = _("cross-border agreements")
        constraints = [
            models.UniqueConstraint(fields=["bank_a", "bank_b"], name="xborder_agreement_one_per_pair"),
            models.CheckConstraint(condition=Q(bank_a__lt=models.F("bank_b")), name="xborder_agreement_ordered_pair"),
        ]

    def __str__(self):
        return f"{self.bank_a.code} ↔ {self.bank_b.code}"

    def side_of(self, bank_id):
        if bank_id == self.bank_a_id:
            return "a"
        if bank_id == self.bank_b_id:
            return "b"
        return None

    @property
    def in_force(self):
        return bool(self.accepted_by_a_at and self.accepted_by_b_at and not self.suspended_by_a_at and not self.suspended_by_b_at)
