"""The history the nightly lifecycle and rating job writes: one row per customer and business date that changed."""

import re

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.master.models import Customer

# The job writes its reasons in English, in its own fixed wording (customers.lifecycle.services:
# STAGE_REASON_SQL, RATING_REASON_SQL), for the log and the export. A person reads them in their
# language: each wording, its figures taken out, has a label. A wording not listed (an older
# run's) is shown as it was written.
REASON_LABELS = [
    (re.compile(r"exited: all (?P<n>\d+) holdings closed"), _("Exited: all %(n)s holdings closed")),
    (re.compile(r"exited: all holdings closed"), _("Exited: all holdings closed")),
    (
        re.compile(r"prospect: no holding and no customer-initiated transaction yet"),
        _("Prospect: no holding and no customer-initiated transaction yet"),
    ),
    (re.compile(r"dormant: no customer activity recorded"), _("Dormant: no customer activity recorded")),
    (
        re.compile(r"dormant: no customer activity for (?P<days>\d+) days \(lifecycle\.dormant_after_days = (?P<limit>\d+)\)"),
        _("Dormant: no customer activity for %(days)s days (dormant after %(limit)s days)"),
    ),
    (
        re.compile(
            r"declining: AUM fell (?P<percent>[\d.]+)% in (?P<months>\d+) months, (?P<then>[\d.]+) -> (?P<now>[\d.]+) "
            r"\(lifecycle\.declining_aum_drop_percent = (?P<limit>[\d.]+)\)"
        ),
        _("Declining: AUM fell %(percent)s%% in %(months)s months, %(then)s → %(now)s (declining from a %(limit)s%% fall)"),
    ),
    (
        re.compile(r"declining: AUM fell (?P<percent>[\d.]+)% in (?P<months>\d+) months.*"),
        _("Declining: AUM fell %(percent)s%% in %(months)s months"),
    ),
    (
        re.compile(r"active: last customer activity (?P<days>\d+) days ago"),
        _("Active: last customer activity %(days)s days ago"),
    ),
    (
        re.compile(r"AUM (?P<aum>[\d.]+), contribution (?P<contribution>[\d.]+): tier (?P<tier>\w+), (?P<stars>\d+) stars.*"),
        _("AUM %(aum)s, contribution %(contribution)s: %(tier)s, %(stars)s stars (the rating thresholds)"),
    ),
]


def reason_label(reason):
    """The reason as the reader's language says it (see REASON_LABELS)."""
    for pattern, label in REASON_LABELS:
        match = pattern.fullmatch(reason.strip())
        if match:
            values = match.groupdict()
            if "tier" in values:
                values["tier"] = dict(Customer.Tier.choices).get(values["tier"], values["tier"])
            return str(label) % values if values else str(label)
    return reason


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

    @property
    def reason_label(self):
        return reason_label(self.reason)


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

    @property
    def reason_label(self):
        return reason_label(self.reason)
