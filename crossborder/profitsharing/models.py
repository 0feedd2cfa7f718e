"""Profit sharing (分润): rules that split a revenue between the originating and the servicing
side, the revenue events they split, and the monthly statements both sides approve
(docs/profit-sharing.md)."""

import uuid
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.master.models import Customer, FxRate, Product
from ocrm.batch.models import JobRun
from ocrm.scoping import scope_of
from sysadmin.org.models import Bank, Branch

HUNDRED = Decimal("100")


class RevenueType(models.TextChoices):
    FEE = "fee", _("Fee (by fee type)")
    NIM_DEPOSITS = "nim_deposits", _("Net interest margin on deposits")
    NIM_LOANS = "nim_loans", _("Net interest margin on loans")
    PRODUCT_COMMISSION = "product_commission", _("Product commission")
    CROSSBORDER_FEE = "crossborder_fee", _("Cross-border service fee")


class Side(models.TextChoices):
    ORIGINATING = "originating", _("Originating side")
    SERVICING = "servicing", _("Servicing side")


class ProfitShareRuleQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(bank_id=user.bank_id) if user.bank_id else self.none()


class ProfitShareRule(models.Model):
    """Which revenue is shared and how. Activated by a checker (ocrm.approvals); the event's
    matching active rule of the highest priority (then the oldest) is the one applied."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Waiting for approval")
        ACTIVE = "active", _("Active")

    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    revenue_type = models.CharField(_("revenue type"), max_length=20, choices=RevenueType.choices)
    fee_type = models.CharField(
        _("fee type"), max_length=40, blank=True, help_text=_("Only fees of this type; empty: every fee type.")
    )
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    priority = models.PositiveIntegerField(_("priority"), default=100, help_text=_("The highest priority wins."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    change_request = models.ForeignKey(
        "ocrm.ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProfitShareRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("profit-sharing rule")
        verbose_name_plural = _("profit-sharing rules")
        ordering = ["bank", "-priority", "id"]
        permissions = [("approve_profitsharerule", "Can approve profit-sharing rules")]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="profit_rule_period_ordered",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("The end must not be before the start.")})
        if self.fee_type and self.revenue_type not in (RevenueType.FEE, RevenueType.CROSSBORDER_FEE):
            raise ValidationError({"fee_type": _("A fee type applies only to fees.")})


class RuleShare(models.Model):
    """One party's share of a rule: a percentage of what the fixed amounts leave, or a fixed amount
    (minor units of the revenue's currency) taken first. The branch is the event's branch of that
    side; `manager` optionally names the person credited."""

    rule = models.ForeignKey(ProfitShareRule, on_delete=models.CASCADE, related_name="shares")
    position = models.PositiveSmallIntegerField(_("order"))
    side = models.CharField(_("side"), max_length=12, choices=Side.choices)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("manager"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    percentage = models.DecimalField(_("percentage"), max_digits=7, decimal_places=4, null=True, blank=True)
    fixed_amount_minor = models.BigIntegerField(_("fixed amount (minor units)"), null=True, blank=True)

    class Meta:
        verbose_name = _("rule share")
        verbose_name_plural = _("rule shares")
        ordering = ["rule", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "position"], name="profit_share_position_unique"),
            models.CheckConstraint(
                condition=(Q(percentage__isnull=True) & Q(fixed_amount_minor__gte=0))
                | (Q(fixed_amount_minor__isnull=True) & Q(percentage__gt=0) & Q(percentage__lte=100)),
                name="profit_share_percentage_xor_fixed",
            ),
        ]

    def __str__(self):
        amount = f"{self.percentage}%" if self.percentage is not None else str(self.fixed_amount_minor)
        return f"{self.get_side_display()} {amount}"


def validate_shares(shares):
    """Check a rule's shares as a whole (not row by row): each a percentage or a fixed amount, the
    percentages totalling exactly 100. Raises ValidationError naming the row and field."""
    errors = []
    total = Decimal("0")
    percentage_rows = 0
    for row, share in enumerate(shares, start=1):
        percentage, fixed = share.get("percentage"), share.get("fixed_amount_minor")
        if share.get("side") not in Side.values:
            errors.append(ValidationError(_("Row %(row)s: choose the side.") % {"row": row}, code="side"))
        if (percentage is None) == (fixed is None):
            errors.append(
                ValidationError(_("Row %(row)s: give either a percentage or a fixed amount.") % {"row": row}, code="amount")
            )
            continue
        if percentage is not None:
            percentage = Decimal(str(percentage))
            if not Decimal("0") < percentage <= HUNDRED or percentage != percentage.quantize(Decimal("0.0001")):
                errors.append(
                    ValidationError(
                        _("Row %(row)s: the percentage must be above 0 and at most 100, with at most 4 decimals.") % {"row": row},
                        code="percentage",
                    )
                )
                continue
            total += percentage
            percentage_rows += 1
        elif int(fixed) < 0:
            errors.append(ValidationError(_("Row %(row)s: a fixed amount cannot be negative.") % {"row": row}, code="fixed"))
    if not shares:
        errors.append(ValidationError(_("A rule needs at least one share."), code="empty"))
    elif not errors and percentage_rows == 0:
        errors.append(ValidationError(_("At least one share must be a percentage (it takes the rest)."), code="total"))
    elif not errors and total != HUNDRED:
        errors.append(
            ValidationError(
                _("The percentages total %(total)s%%; they must total exactly 100%%.") % {"total": total.normalize()},
                code="total",
            )
        )
    if errors:
        raise ValidationError({"shares": errors})


class RevenueEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(bank_id=user.bank_id) if user.bank_id else self.none()


class RevenueEvent(models.Model):
    """One revenue to share, from the revenue feed or a completed cross-border request. A reversal
    or refund is a negative event naming the original (it is shared by the original's rule)."""

    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revenue_type = models.CharField(_("revenue type"), max_length=20, choices=RevenueType.choices)
    fee_type = models.CharField(_("fee type"), max_length=40, blank=True)
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    booked_on = models.DateField(_("booking date"))
    source_reference = models.CharField(_("source reference"), max_length=100)
    originating_branch = models.ForeignKey(
        Branch, verbose_name=_("originating branch"), on_delete=models.PROTECT, related_name="+"
    )
    servicing_branch = models.ForeignKey(Branch, verbose_name=_("servicing branch"), on_delete=models.PROTECT, related_name="+")
    reversal_of = models.ForeignKey(
        "self", verbose_name=_("reversal of"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    reversal_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RevenueEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("revenue event")
        verbose_name_plural = _("revenue events")
        ordering = ["bank", "booked_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "source_reference"], name="profit_event_source_unique"),
            models.CheckConstraint(
                condition=Q(reversal_of__isnull=True) | (Q(amount_minor__lt=0) & ~Q(reversal_reason="")),
                name="profit_event_reversal_negative_with_reason",
            ),
        ]
        indexes = [models.Index(fields=["bank", "booked_on"], name="profit_event_bank_day")]

    def __str__(self):
        return self.source_reference


class ProfitStatementQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Both sides see the statement: the bank of the revenue and the counterpart bank."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if not user.bank_id:
            return self.none()
        return self.filter(Q(bank_id=user.bank_id) | Q(counterpart_id=user.bank_id))


class ProfitStatement(models.Model):
    """The revenue of `bank`'s events of one month shared with the servicing bank `counterpart`
    (the bank itself for services inside the bank), in the bank's base currency. Approved by
    both sides (a maker and a checker on each), then locked."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        LOCKED = "locked", _("Locked")

    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    counterpart = models.ForeignKey(Bank, verbose_name=_("counterpart"), on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("month"), help_text=_("The first day of the month."))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    total_minor = models.BigIntegerField(_("total (minor units)"), default=0)
    originating_request = models.ForeignKey(
        "ocrm.ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    originating_approved_at = models.DateTimeField(_("approved by the originating side"), null=True, blank=True)
    servicing_request = models.ForeignKey(
        "ocrm.ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    servicing_approved_at = models.DateTimeField(_("approved by the servicing side"), null=True, blank=True)

    objects = ProfitStatementQuerySet.as_manager()

    class Meta:
        verbose_name = _("profit statement")
        verbose_name_plural = _("profit statements")
        ordering = ["-period", "bank", "counterpart"]
        permissions = [("approve_profitstatement", "Can approve profit statements")]
        constraints = [
            models.UniqueConstraint(fields=["bank", "counterpart", "period"], name="profit_statement_unique"),
        ]

    def __str__(self):
        return f"{self.period:%Y-%m}"


class ProfitStatementLine(models.Model):
    """One share of one revenue event, in the statement currency."""

    # Only the event keeps its own index (the unique constraint below leads with the statement):
    # the statement job inserts millions of lines, and every index is paid for on each one.
    statement = models.ForeignKey(ProfitStatement, on_delete=models.CASCADE, related_name="lines", db_index=False)
    event = models.ForeignKey(RevenueEvent, verbose_name=_("revenue event"), on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(ProfitShareRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="+", db_index=False)
    position = models.PositiveSmallIntegerField(_("order"))
    side = models.CharField(_("side"), max_length=12, choices=Side.choices)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+", db_index=False)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    event_amount_minor = models.BigIntegerField(_("revenue (minor units, event currency)"))
    event_currency = models.CharField(_("event currency"), max_length=3)
    converted_minor = models.BigIntegerField(_("revenue (minor units, statement currency)"))
    amount_minor = models.BigIntegerField(_("share (minor units)"))
    fx_rate = models.ForeignKey(
        FxRate, verbose_name=_("rate"), null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    fx_rate_value = models.DecimalField(_("rate"), max_digits=18, decimal_places=8)
    fx_rate_date = models.DateField(_("rate date"), null=True, blank=True)
    reversal_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("profit statement line")
        verbose_name_plural = _("profit statement lines")
        ordering = ["statement", "event", "position"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "event", "position"], name="profit_line_unique"),
        ]

    def __str__(self):
        return f"{self.get_side_display()} {self.amount_minor}"


class RevenueFeedUploadQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The bank's uploads to a bank-wide user; a narrower scope sees its own uploads."""
        scope = scope_of(user)
        if scope is None:
            return self.none()
        if scope == "all":
            return self
        if scope == "bank":
            return self.filter(bank_id=user.bank_id)
        return self.filter(bank_id=user.bank_id, uploaded_by=user)


def feed_upload_path(upload, filename):
    return f"revenue-feed/{upload.bank.code}/{upload.uploaded_at:%Y/%m}/{uuid.uuid4().hex}{Path(filename).suffix.lower()[:6]}"


class RevenueFeedUpload(models.Model):
    """A revenue feed file uploaded on its page (crossborder.profitsharing.feed.upload): loaded all
    or nothing, in the request when small, else by a worker whose progress the page shows."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Being loaded")
        LOADED = "loaded", _("Loaded")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    original_name = models.CharField(_("file name"), max_length=200)
    file = models.FileField(_("stored file"), upload_to=feed_upload_path, max_length=300)
    size = models.BigIntegerField(_("file size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    loaded = models.PositiveIntegerField(_("revenue events loaded"), default=0)
    unchanged = models.PositiveIntegerField(_("rows already loaded"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)  # [{row, field, message}]
    more_errors = models.PositiveIntegerField(default=0)
    job_run = models.ForeignKey(
        JobRun, verbose_name=_("job run"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RevenueFeedUploadQuerySet.as_manager()

    class Meta:
        verbose_name = _("revenue feed upload")
        verbose_name_plural = _("revenue feed uploads")
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["bank", "-uploaded_at"], name="xb_feed_upload_bank_time")]

    def __str__(self):
        return self.original_name
