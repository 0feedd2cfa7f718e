"""Campaigns (营销活动): a definition, its members (candidates, targets and control) and the
per-campaign aggregates the evaluation page reads.

A member row is written by the dry run for every candidate: `excluded_by` names the contact-policy
rule that excluded it ('' when in), `arm` is "target" or "control" (the deterministic holdout) for
those still in. Launch turns the targets into tasks; responses and conversions land on the row and
in CampaignStat (one row per campaign, branch, manager and arm), so evaluation never scans members."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import ScopedQuerySet

MONEY = {"max_digits": 18, "decimal_places": 2}


class CampaignQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "branch"
    scope_owner_field = "created_by"
    scope_guardian_grants = False

    def visible_to(self, user):
        """Campaign owners see the campaigns of their own branch subtree, whatever their scope."""
        qs = super().visible_to(user)
        if user is None or not user.is_authenticated or user.is_superuser or user.branch_id is None:
            return qs
        return qs.filter(branch__path__startswith=user.branch.path)


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Waiting for approval")
        LAUNCHED = "launched", _("Launched")
        CLOSED = "closed", _("Closed")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    goal = models.TextField(_("goal"), blank=True)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    branch = models.ForeignKey(
        "sysadmin.Branch",
        verbose_name=_("owning branch"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Only customers of this branch and the branches below it are targeted."),
    )
    products = models.ManyToManyField("customers.Product", verbose_name=_("products"), blank=True, related_name="+")
    channel_task = models.BooleanField(_("task for the manager"), default=True)
    channel_sms = models.BooleanField(_("SMS"), default=False)
    channel_offer = models.BooleanField(_("channel offer"), default=False)
    sms_template = models.ForeignKey(
        "ocrm.MessageTemplate", verbose_name=_("SMS template"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    budget = models.DecimalField(_("budget"), default=0, **MONEY)
    cost_per_contact = models.DecimalField(_("cost per contact"), default=0, **MONEY)
    group = models.ForeignKey(
        "customers.CustomerGroup",
        verbose_name=_("customer group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_numbers = models.TextField(_("uploaded customer numbers"), blank=True, editable=False)
    holdout_percent = models.PositiveSmallIntegerField(_("control group %"), default=10)
    seed = models.CharField(_("holdout seed"), max_length=32, editable=False)
    household_once = models.BooleanField(_("one offer per household"), default=False)
    exclude_campaign = models.ForeignKey(
        "self", verbose_name=_("not within days of campaign"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    exclude_days = models.PositiveSmallIntegerField(_("days apart"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    funnel = models.JSONField(_("funnel"), default=list, blank=True, editable=False)
    dry_run_at = models.DateTimeField(_("dry run"), null=True, blank=True, editable=False)
    change_request = models.ForeignKey(
        "ocrm.ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    launched_at = models.DateTimeField(_("launched"), null=True, blank=True, editable=False)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="campaigns_created"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-id"]
        permissions = [
            ("approve_campaign", "Approve and launch campaigns (marketing manager)"),
            ("respond_campaign", "Record campaign responses of own customers"),
        ]

    def __str__(self):
        return self.name

    @property
    def source(self):
        return f"campaign:{self.pk}"

    @property
    def channels(self):
        return tuple(
            name for name, on in (("task", self.channel_task), ("sms", self.channel_sms), ("offer", self.channel_offer)) if on
        )


class MemberQuerySet(ScopedQuerySet):
    scope_bank_field = "campaign__bank"
    scope_branch_field = "branch"
    scope_owner_field = "manager"
    scope_guardian_grants = False


class CampaignMember(models.Model):
    class Arm(models.TextChoices):
        TARGET = "target", _("Target")
        CONTROL = "control", _("Control")

    class Response(models.TextChoices):
        NONE = "", _("No response yet")
        CONTACTED = "contacted", _("Contacted")
        INTERESTED = "interested", _("Interested")
        DECLINED = "declined", _("Declined")
        CONVERTED = "converted", _("Converted")

    # Member rows are written only set-based, by the dry run's one INSERT ... SELECT from the live
    # customers of the locked campaign: no database foreign key checks them row by row (four RI
    # triggers per row were 40% of a dry run), and no index beyond the composite ones below (each
    # single-column index here led one of them). Deletes still cascade through Django.
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="members",
        db_constraint=False,
        db_index=False,
    )
    # Named (not "+"): whatever deletes customers set-based finds this table among their children.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="campaign_memberships",
        db_constraint=False,
        db_index=False,
    )
    branch = models.ForeignKey(
        "sysadmin.Branch", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    excluded_by = models.CharField(_("excluded by"), max_length=20, blank=True, default="")
    arm = models.CharField(_("arm"), max_length=10, choices=Arm.choices, blank=True, default="")
    aum_at_start = models.DecimalField(_("AUM at launch"), default=0, **MONEY)
    response = models.CharField(_("response"), max_length=12, choices=Response.choices, blank=True, default="")
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign member")
        verbose_name_plural = _("campaign members")
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="campaignmember_once")]
        indexes = [
            models.Index(fields=["campaign", "excluded_by", "arm"], name="campaignmember_arm"),
            models.Index(fields=["manager", "campaign"], name="campaignmember_manager"),
            models.Index(fields=["customer"], name="campaignmember_customer"),
        ]

    def __str__(self):
        return f"{self.campaign_id}:{self.customer_id}"


class CampaignStat(models.Model):
    """Per campaign, branch, manager and arm: counts and AUM sums the evaluation reads."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="stats")
    branch = models.ForeignKey("sysadmin.Branch", on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    arm = models.CharField(max_length=10)
    members = models.IntegerField(default=0)
    contacted = models.IntegerField(default=0)
    interested = models.IntegerField(default=0)
    declined = models.IntegerField(default=0)
    converted = models.IntegerField(default=0)
    aum_delta_sum = models.DecimalField(default=0, max_digits=24, decimal_places=2)
    aum_delta_sumsq = models.FloatField(default=0)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "branch", "manager", "arm"], name="campaignstat_once", nulls_distinct=False
            )
        ]

    def __str__(self):
        return f"{self.campaign_id}:{self.branch_id}:{self.manager_id}:{self.arm}"
