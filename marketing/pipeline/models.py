"""Opportunities (商机): a manager's chance of new business with a customer, moved through the
bank's stages on a board. Stages are per bank (PipelineStage) with a default probability; every
move is kept (OpportunityMove) so the forecast and the stale reminders can be explained."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.pipeline.stages import DEFAULT_NAMES
from ocrm.scoping import ScopedQuerySet


class PipelineStage(models.Model):
    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=0)
    outcome = models.CharField(_("outcome"), max_length=5, choices=Outcome.choices, default=Outcome.OPEN)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pipeline stage")
        verbose_name_plural = _("pipeline stages")
        ordering = ("bank", "position")
        constraints = [
            models.UniqueConstraint(fields=("bank", "code"), name="pipeline_stage_code_unique"),
            models.CheckConstraint(condition=models.Q(probability__lte=100), name="pipeline_stage_probability_range"),
        ]

    def __str__(self):
        return str(self.label)

    @property
    def label(self):
        """The name shown: a seeded default name reads in the viewer's language; a bank's own name as written."""
        default = DEFAULT_NAMES.get(self.code)
        if default is not None and self.name == default[0]:
            return default[1]
        return self.name


class OpportunityQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "owner__branch"
    scope_owner_field = "owner"
    scope_guardian_grants = False

    def open(self):
        return self.filter(status=Opportunity.Status.OPEN)


class Opportunity(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Created by hand")
        CONTACT = "contact", _("Service contact")
        CAMPAIGN = "campaign", _("Campaign response")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="opportunities"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("manager"), on_delete=models.PROTECT, related_name="opportunities"
    )
    title = models.CharField(_("title"), max_length=200)
    product = models.ForeignKey(
        "customers.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    stage = models.ForeignKey(PipelineStage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+")
    probability = models.PositiveSmallIntegerField(_("probability (%)"))
    expected_close = models.DateField(_("expected close date"))
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    source_ref = models.CharField(_("source reference"), max_length=60, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=5, choices=Status.choices, default=Status.OPEN)
    lost_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Bumped by every move: a board that shows an older version is refused (stale move).
    version = models.PositiveIntegerField(default=1, editable=False)
    moved_at = models.DateTimeField(_("last moved"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            models.Index(fields=("bank", "status", "owner"), name="opportunity_board_idx"),
            models.Index(fields=("bank", "status", "moved_at"), name="opportunity_stale_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="opportunity_amount_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def weighted_amount(self):
        return self.amount * self.probability / 100


class OpportunityMove(models.Model):
    opportunity = models.ForeignKey(Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE, related_name="moves")
    from_stage = models.ForeignKey(
        PipelineStage, verbose_name=_("from stage"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(PipelineStage, verbose_name=_("to stage"), on_delete=models.PROTECT, related_name="+")
    probability = models.PositiveSmallIntegerField(_("probability (%)"))
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("moved by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    moved_at = models.DateTimeField(_("moved at"))

    class Meta:
        verbose_name = _("stage move")
        verbose_name_plural = _("stage moves")
        ordering = ("moved_at", "pk")

    def __str__(self):
        return f"{self.opportunity_id}: {self.to_stage_id}"
