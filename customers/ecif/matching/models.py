"""Models of the matching area (ECIF identity resolution, issue 4): the rules, the pairs
waiting for a supervisor, and the merges with their full before-state (so they can be undone).

See customers.ecif.matching.services (rules, blocking, scoring, resolve_source_records) and
customers.ecif.matching.merge (merge_customers, unmerge, resolve_number)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.master.models import Customer
from ocrm.scoping import ScopedQuerySet

DETERMINISTIC_KEYS = ("identity", "registration_code")
SCORED_FIELDS = ("name", "birth_date", "phone", "email", "address")


class MatchRule(models.Model):
    """One rule of a bank. Deterministic rules name the fields that must be equal (an identity
    document type + number hash; a registration code); the scored rule of a customer kind holds
    the weight of each compared field and the two thresholds. A bank with no rule of a kind
    uses the built-in defaults of customers.ecif.matching.services."""

    class Kind(models.TextChoices):
        DETERMINISTIC = "deterministic", _("Deterministic (equal keys)")
        SCORED = "scored", _("Scored (weighted similarity)")

    class AppliesTo(models.TextChoices):
        RETAIL = "retail", _("Retail")
        CORPORATE = "corporate", _("Corporate")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    applies_to = models.CharField(_("customer kind"), max_length=10, choices=AppliesTo.choices)
    # deterministic: ["identity"] or ["registration_code"]; scored: {"name": 40, "birth_date": 25, ...}
    fields = models.JSONField(_("fields / weights"), default=dict)
    upper_threshold = models.DecimalField(
        _("merge automatically at or above"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    lower_threshold = models.DecimalField(_("review at or above"), max_digits=5, decimal_places=2, null=True, blank=True)
    # Source systems in the order their values win when records disagree (survivorship).
    source_priority = models.JSONField(_("trusted source priority"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("match rule")
        verbose_name_plural = _("match rules")
        ordering = ["bank", "applies_to", "kind", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind == self.Kind.DETERMINISTIC:
            if not isinstance(self.fields, list) or not self.fields or any(f not in DETERMINISTIC_KEYS for f in self.fields):
                raise ValidationError(
                    {"fields": _("A deterministic rule lists keys among: %(keys)s.") % {"keys": ", ".join(DETERMINISTIC_KEYS)}}
                )
            return
        if not isinstance(self.fields, dict) or not self.fields:
            raise ValidationError({"fields": _('A scored rule maps fields to weights, e.g. {"name": 40}.')})
        for name, weight in self.fields.items():
            if name not in SCORED_FIELDS:
                raise ValidationError(
                    {
                        "fields": _("Unknown field %(name)s; choose among: %(fields)s.")
                        % {"name": name, "fields": ", ".join(SCORED_FIELDS)}
                    }
                )
            if not isinstance(weight, (int, float)) or weight < 0:
                raise ValidationError({"fields": _("The weight of %(name)s must be a number of 0 or more.") % {"name": name}})
        if self.upper_threshold is None or self.lower_threshold is None:
            raise ValidationError(_("A scored rule needs both thresholds."))
        if not (0 < self.lower_threshold <= self.upper_threshold <= 100):
            raise ValidationError(_("Thresholds must satisfy 0 < review ≤ automatic merge ≤ 100."))
        if not isinstance(self.source_priority, list) or any(not isinstance(s, str) for s in self.source_priority):
            raise ValidationError({"source_priority": _('List source system codes, e.g. ["core", "cards"].')})


class MatchCandidateQuerySet(ScopedQuerySet):
    scope_bank_field = "customer_a__bank"
    scope_guardian_grants = False

    def visible_to(self, user):
        """A pair is visible only when both of its customers are: a supervisor decides only
        about customers of their own subtree."""
        visible = Customer.objects.visible_to(user)
        return self.filter(customer_a__in=visible, customer_b__in=visible)

    def pending(self):
        return self.filter(status=MatchCandidate.Status.PENDING)


class MatchCandidate(models.Model):
    """A pair of customers that may be the same person or company. customer_a has the lower id,
    so a pair is stored once; a pair decided 'different' is kept and never proposed again."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        MERGED = "merged", _("Same customer (merged)")
        DIFFERENT = "different", _("Different customers")

    bank_id = models.BigIntegerField(_("bank"))
    customer_a = models.ForeignKey("customers.Customer", verbose_name=_("customer A"), on_delete=models.CASCADE, related_name="+")
    customer_b = models.ForeignKey("customers.Customer", verbose_name=_("customer B"), on_delete=models.CASCADE, related_name="+")
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    comparison = models.JSONField(_("field comparison"), default=dict)  # field -> similarity 0..1
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    found_by = models.CharField(_("found by"), max_length=20, default="feed")  # feed | duplicate_scan
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("found"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = MatchCandidateQuerySet.as_manager()

    class Meta:
        verbose_name = _("match candidate")
        verbose_name_plural = _("match candidates")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer_a", "customer_b"], name="matchcandidate_pair"),
            models.CheckConstraint(condition=models.Q(customer_a__lt=models.F("customer_b")), name="matchcandidate_ordered"),
        ]
        indexes = [
            models.Index(fields=["bank_id", "status", "-score"], name="matchcandidate_queue"),
            models.Index(fields=["customer_b"], name="matchcandidate_b"),
        ]
        permissions = [("review_match", "Review match candidates (same customer / different)")]

    def __str__(self):
        return f"{self.customer_a_id} ~ {self.customer_b_id} ({self.score})"


class MergeRecordQuerySet(ScopedQuerySet):
    scope_bank_field = "survivor__bank"
    scope_branch_field = "survivor__branch"
    scope_owner_field = "survivor__primary_manager"
    scope_guardian_grants = False


class MergeRecord(models.Model):
    """One merge: which rows of which table moved from `merged` to `survivor`, and the values
    both golden records had before, so unmerge() restores the exact before-state."""

    bank_id = models.BigIntegerField(_("bank"))
    survivor = models.ForeignKey(
        "customers.Customer", verbose_name=_("surviving customer"), on_delete=models.PROTECT, related_name="merges_received"
    )
    merged = models.ForeignKey(
        "customers.Customer", verbose_name=_("merged customer"), on_delete=models.PROTECT, related_name="merges_given"
    )
    merged_number = models.CharField(_("merged customer number"), max_length=32)
    candidate = models.ForeignKey(
        MatchCandidate, verbose_name=_("match candidate"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    before_state = models.JSONField(_("before-state"), default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("merged by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(_("merged"), default=timezone.now)
    unmerged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("unmerged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unmerged_at = models.DateTimeField(_("unmerged"), null=True, blank=True)

    objects = MergeRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("merge record")
        verbose_name_plural = _("merge records")
        ordering = ["-merged_at", "-id"]
        indexes = [models.Index(fields=["bank_id", "-merged_at"], name="mergerecord_bank_time")]
        permissions = [("unmerge", "Undo a customer merge")]

    def __str__(self):
        return f"{self.merged_number} -> {self.survivor_id}"

    @property
    def is_active(self):
        return self.unmerged_at is None
