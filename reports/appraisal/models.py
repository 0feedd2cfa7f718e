"""Performance appraisal (绩效考核): KPI schemes per bank and role (effective-dated, activated by a
checker), their indicators with weight and bands, per-manager targets, and the monthly and
quarterly scores computed from the report snapshots, with their lines and the supervisors'
adjustments (maker-checker). The scoring rule is in reports.appraisal.bands (docs/appraisal.md)."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.master.models import Product
from ocrm import reporting
from ocrm.scoping import ScopedQuerySet, scope_of
from sysadmin.org.models import Bank, Branch
from sysadmin.roles import ROLE_LABELS

AMOUNT = {"max_digits": 20, "decimal_places": 2}
POINTS = {"max_digits": 8, "decimal_places": 2}


class BankRowsQuerySet(models.QuerySet):
    """Configuration rows of a bank: every staff member of the bank who holds the page's
    permission reads them (the page decides who may)."""

    bank_field = "bank_id"

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if scope_of(user) is None:
            return self.none()
        return self.filter(**{self.bank_field: user.bank_id})


class KpiScheme(models.Model):
    """The KPIs of one role in one bank for a span of dates. A draft is edited, submitted, and
    becomes active when another person with the checker permission approves it; an active
    scheme is never edited: a new version (a copy) replaces it from a later date."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Waiting for approval")
        ACTIVE = "active", _("Active")

    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=40, choices=list(ROLE_LABELS.items()), default="customer_manager")
    name = models.CharField(_("name"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True, help_text=_("Empty: until replaced."))
    stretch_cap = models.DecimalField(
        _("cap at stretch"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.50"),
        help_text=_("Points at or beyond the stretch value, as a multiple of the weight (1.50 = 150%)."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1)
    previous = models.ForeignKey(
        "self", verbose_name=_("replaces"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change_request = models.ForeignKey(
        "ocrm.ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = BankRowsQuerySet.as_manager()

    class Meta:
        verbose_name = _("KPI scheme")
        verbose_name_plural = _("KPI schemes")
        ordering = ["bank", "role", "-valid_from", "-id"]
        permissions = [("approve_kpischeme", "Can approve KPI schemes")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")), name="kpi_scheme_period_ordered"
            ),
            models.CheckConstraint(condition=Q(stretch_cap__gte=1), name="kpi_scheme_cap_at_least_one"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"

    def clean(self):
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end must not be before the start.")})
        if self.stretch_cap is not None and self.stretch_cap < 1:
            raise ValidationError({"stretch_cap": _("The cap must be at least 1.00 (the weight).")})

    def covers(self, day):
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class IndicatorKind(models.TextChoices):
    AUM_GROWTH = "aum_growth", _("AUM growth")
    NEW_CUSTOMERS = "new_customers", _("New customers")
    CUSTOMERS_LOST = "customers_lost", _("Customers lost")
    PRODUCT_SALES = "product_sales", _("Product sales (customers newly holding a category)")
    MEASURE = "measure", _("Measure from the apps (campaign conversions, contacts, requests, revenue...)")


class KpiIndicator(models.Model):
    """One KPI of a scheme: what is measured, its weight (points at target) and its bands.
    Higher is better when target > threshold; lower is better (customers lost) when target < threshold."""

    scheme = models.ForeignKey(KpiScheme, verbose_name=_("KPI scheme"), on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("indicator"), max_length=20, choices=IndicatorKind.choices)
    category = models.CharField(_("product category"), max_length=10, blank=True)
    measure = models.CharField(_("measure"), max_length=60, blank=True)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)
    threshold = models.DecimalField(_("threshold"), **AMOUNT)
    target = models.DecimalField(_("target"), **AMOUNT)
    stretch = models.DecimalField(_("stretch"), **AMOUNT)

    class Meta:
        verbose_name = _("KPI indicator")
        verbose_name_plural = _("KPI indicators")
        ordering = ["scheme", "position"]
        constraints = [models.UniqueConstraint(fields=["scheme", "position"], name="kpi_indicator_position_unique")]

    def __str__(self):
        return str(self.label)

    @property
    def label(self):
        return indicator_label(self.kind, self.category, self.measure)


def indicator_label(kind, category="", measure=""):
    """The readable name of an indicator (the measure's own label from ocrm.reporting)."""
    if kind == IndicatorKind.MEASURE:
        try:
            return str(reporting.measure(measure).label)
        except KeyError:
            return measure
    if kind == IndicatorKind.PRODUCT_SALES:
        return f"{_('Product sales')}: {dict(Product.Category.choices).get(category, category)}"
    return str(IndicatorKind(kind).label)


class ManagerTargetQuerySet(BankRowsQuerySet):
    bank_field = "indicator__scheme__bank_id"


class ManagerTarget(models.Model):
    """A manager's own threshold, target and stretch for one indicator, for a span of dates: it
    replaces the scheme's bands in the periods whose last day it covers."""

    indicator = models.ForeignKey(KpiIndicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="targets")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("manager"), on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    threshold = models.DecimalField(_("threshold"), **AMOUNT)
    target = models.DecimalField(_("target"), **AMOUNT)
    stretch = models.DecimalField(_("stretch"), **AMOUNT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)

    objects = ManagerTargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("manager target")
        verbose_name_plural = _("manager targets")
        ordering = ["indicator", "manager", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")), name="kpi_target_period_ordered"
            )
        ]

    def __str__(self):
        return f"{self.indicator} {self.manager}"


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class ScoreQuerySet(ScopedQuerySet):
    """A manager sees their own scores, a supervisor their subtree's, bank-scope roles the bank's."""

    scope_bank_field = "bank"
    scope_branch_field = "branch"
    scope_owner_field = "manager"
    scope_guardian_grants = False


class Score(models.Model):
    """One manager's score for one month or quarter, from the snapshots of its last day (and of the
    day before it began), with the scheme that applied on its last day."""

    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("manager"), on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(
        Branch, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    scheme = models.ForeignKey(KpiScheme, verbose_name=_("KPI scheme"), on_delete=models.PROTECT, related_name="+")
    baseline_date = models.DateField(_("baseline snapshot"), null=True, blank=True)
    snapshot_date = models.DateField(_("snapshot"))
    points = models.DecimalField(_("points"), **POINTS)
    adjustment = models.DecimalField(_("adjustment"), default=Decimal("0"), **POINTS)
    total = models.DecimalField(_("score"), **POINTS)
    rank_in_branch = models.PositiveIntegerField(_("rank in branch"), null=True, blank=True)
    rank_in_region = models.PositiveIntegerField(_("rank in region"), null=True, blank=True)
    method_version = models.SmallIntegerField(_("method version"))
    computed_at = models.DateTimeField(_("computed"))

    objects = ScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["-period_start", "period_kind", "-total", "id"]
        permissions = [
            ("view_team_scores", "Can see the scores and ranks of the team (the data scope decides whose)"),
            ("adjust_score", "Can propose score adjustments"),
            ("approve_scoreadjustment", "Can approve score adjustments"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["manager", "period_kind", "period_start"], name="kpi_score_one_per_period"),
        ]
        indexes = [models.Index(fields=["bank", "period_kind", "period_start"], name="kpi_score_period")]

    def __str__(self):
        return f"{self.manager} {self.period_label}"

    @property
    def period_label(self):
        if self.period_kind == PeriodKind.QUARTER:
            return f"{self.period_start.year} Q{(self.period_start.month - 1) // 3 + 1}"
        return f"{self.period_start:%Y-%m}"


class ScoreLine(models.Model):
    """One indicator of a score: the value measured, the bands and weight used, the points."""

    class Band(models.TextChoices):
        BELOW = "below", _("Below threshold")
        THRESHOLD = "threshold", _("Between threshold and target")
        TARGET = "target", _("Between target and stretch")
        STRETCH = "stretch", _("At or beyond stretch")

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="lines")
    indicator = models.ForeignKey(KpiIndicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("indicator"), max_length=20, choices=IndicatorKind.choices)
    category = models.CharField(_("product category"), max_length=10, blank=True)
    measure = models.CharField(_("measure"), max_length=60, blank=True)
    value = models.DecimalField(_("value"), **AMOUNT)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)
    threshold = models.DecimalField(_("threshold"), **AMOUNT)
    target = models.DecimalField(_("target"), **AMOUNT)
    stretch = models.DecimalField(_("stretch"), **AMOUNT)
    cap = models.DecimalField(_("cap at stretch"), max_digits=4, decimal_places=2)
    band = models.CharField(_("band"), max_length=10, choices=Band.choices)
    points = models.DecimalField(_("points"), **POINTS)
    manager_target = models.ForeignKey(
        ManagerTarget, verbose_name=_("manager target"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("score line")
        verbose_name_plural = _("score lines")
        ordering = ["score", "position"]
        constraints = [models.UniqueConstraint(fields=["score", "position"], name="kpi_score_line_unique")]

    def __str__(self):
        return f"{self.label} {self.points}"

    @property
    def label(self):
        return indicator_label(self.kind, self.category, self.measure)


class ScoreAdjustmentQuerySet(ScopedQuerySet):
    scope_bank_field = "score__bank"
    scope_branch_field = "score__branch"
    scope_owner_field = "score__manager"
    scope_guardian_grants = False


class ScoreAdjustment(models.Model):
    """Points a supervisor adds to (or takes from) a score, with a reason; counted once a checker approved it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    score = models.ForeignKey(Score, verbose_name=_("score"), on_delete=models.CASCADE, related_name="adjustments")
    points = models.DecimalField(_("points"), **POINTS)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    change_request = models.ForeignKey(
        "ocrm.ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)

    objects = ScoreAdjustmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("score adjustment")
        verbose_name_plural = _("score adjustments")
        ordering = ["score", "created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(points=0), name="kpi_adjustment_not_zero")]

    def __str__(self):
        return f"{self.score} {self.points:+}"
