"""Models of the assignment area: who owns a customer (owning branch + primary manager).

* AttributionRule: per bank, how the nightly job picks the owning branch and the primary
  manager of unassigned customers (customers.ownership.assignment.services.apply_attribution).
* MarketingCredit: who converted a customer ("whoever markets it gets the credit"); the
  marketing app writes it when an opportunity converts, the marketing-credit rule reads it.
* AssignmentChange: the history of every change of owning branch or primary manager.
  Written set-based (INSERT ... SELECT) for hand-overs of 20k+ customers, so it carries
  few indexes: one for the 360 page (customer, time), one per bank and time, one per
  change request.

The "branch pool" is no table: the customers of a branch whose primary_manager is NULL.
Claims, reassignments, hand-overs and transfers are ocrm.ChangeRequest rows (their
action names are in customers.ownership.assignment.services)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import ScopedQuerySet


class AttributionRuleQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"


class AttributionRule(models.Model):
    class BranchRule(models.TextChoices):
        OPENING_BRANCH = "opening_branch", _("Branch where the first account was opened")
        LARGEST_AUM = "largest_aum", _("Branch holding the largest assets (AUM)")
        MANAGER_BRANCH = "manager_branch", _("Branch of the primary manager")

    class ManagerRule(models.TextChoices):
        MARKETING_CREDIT = "marketing_credit", _("Marketing credit: whoever converted the customer")
        CLAIM = "claim", _("Claim by a manager, approved by a supervisor")
        SUPERVISOR = "supervisor", _("Assignment by a supervisor")

    bank = models.OneToOneField(
        "sysadmin.Bank", verbose_name=_("bank"), on_delete=models.CASCADE, related_name="attribution_rule"
    )
    branch_rule = models.CharField(
        _("owning branch by"), max_length=20, choices=BranchRule.choices, default=BranchRule.OPENING_BRANCH
    )
    manager_rule = models.CharField(
        _("primary manager by"), max_length=20, choices=ManagerRule.choices, default=ManagerRule.CLAIM
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AttributionRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("attribution rule")
        verbose_name_plural = _("attribution rules")
        ordering = ["bank"]

    def __str__(self):
        return f"{self.bank}: {self.get_branch_rule_display()} / {self.get_manager_rule_display()}"


class MarketingCreditQuerySet(ScopedQuerySet):
    scope_bank_field = "customer__bank"  # bank_id is a plain column here (written set-based)
    scope_branch_field = "branch"
    scope_owner_field = "manager"
    scope_guardian_grants = False


class MarketingCredit(models.Model):
    """New business credited to the person who won it (谁营销谁受益). Written only by
    marketing.credits.services.credit(): campaign conversions, won opportunities, converted
    prospects. `source` is the event's key ("campaign:12:customer:5", "opportunity:7"); one
    credit per key and bank."""

    bank_id = models.BigIntegerField(_("bank"))
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="marketing_credits"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("credited manager"), on_delete=models.PROTECT, related_name="+"
    )
    # The manager's branch when credited: a later move does not carry old credits along.
    branch = models.ForeignKey(
        "sysadmin.Branch", verbose_name=_("branch"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credited_at = models.DateTimeField(_("credited"), default=timezone.now)
    source = models.CharField(_("source"), max_length=60, blank=True)  # e.g. "opportunity:123"
    product = models.ForeignKey(
        "customers.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)

    objects = MarketingCreditQuerySet.as_manager()

    class Meta:
        verbose_name = _("marketing credit")
        verbose_name_plural = _("marketing credits")
        indexes = [
            models.Index(fields=["customer", "-credited_at"], name="mktcredit_customer_time"),
            models.Index(fields=["bank_id", "manager", "credited_at"], name="mktcredit_manager_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_id", "source"], condition=~models.Q(source=""), name="mktcredit_once_per_source"
            )
        ]

    def __str__(self):
        return f"{self.customer_id} ← {self.manager_id}"


class AssignmentChangeQuerySet(ScopedQuerySet):
    scope_bank_field = "customer__bank"
    scope_branch_field = "customer__branch"
    scope_owner_field = "customer__primary_manager"
    scope_guardian_grants = False


class AssignmentChange(models.Model):
    class Kind(models.TextChoices):
        CLAIM = "claim", _("Claim")
        ASSIGNMENT = "assignment", _("Assignment from the pool")
        REASSIGNMENT = "reassignment", _("Reassignment")
        HANDOVER = "handover", _("Hand-over of a book")
        TRANSFER = "transfer", _("Branch transfer")
        ATTRIBUTION = "attribution", _("Attribution rule (nightly)")

    bank_id = models.BigIntegerField(_("bank"))
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="assignment_history",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # No index on the people and branches: 20k-row hand-overs insert here in one statement.
    from_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    to_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    from_branch = models.ForeignKey(
        "sysadmin.Branch",
        verbose_name=_("from branch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    to_branch = models.ForeignKey(
        "sysadmin.Branch",
        verbose_name=_("to branch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    change_request_id = models.BigIntegerField(_("change request"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    business_date = models.DateField(_("business date"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = AssignmentChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment change")
        verbose_name_plural = _("assignment history")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-at"], name="assignchg_customer_time"),
            models.Index(fields=["bank_id", "-at"], name="assignchg_bank_time"),
            models.Index(
                fields=["change_request_id"], name="assignchg_request", condition=models.Q(change_request_id__isnull=False)
            ),
        ]
        permissions = [
            ("claim_customer", "Claim unassigned customers (maker)"),
            ("approve_assignment", "Approve or reject claims, reassignments, hand-overs and transfers (checker)"),
            ("reassign_customer", "Reassign customers and hand over a manager's book (maker)"),
            ("transfer_customer", "Propose moving a customer to another branch (maker)"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.kind} {self.at:%Y-%m-%d}"
