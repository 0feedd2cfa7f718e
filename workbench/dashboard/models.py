"""What a person set aside from their "today" list: an item snoozed until a moment, or dismissed,
with the short reason they gave (kept: appraisal reads it later).

An item is known by its source's key and its link (TodayItem.kind, TodayItem.url): the dashboard
hides a dismissed item for good and a snoozed one until `until`. Sources that snooze and dismiss
their own rows (the reminders) post to their own actions instead."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import ScopedQuerySet


class DeskDismissalQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "staff__branch"
    scope_owner_field = "staff"
    scope_guardian_grants = False

    def in_force(self, now=None):
        now = now or timezone.now()
        return self.filter(models.Q(action=DeskDismissal.Action.DISMISS) | models.Q(until__gt=now))


class DeskDismissal(models.Model):
    class Action(models.TextChoices):
        SNOOZE = "snooze", _("Snoozed")
        DISMISS = "dismiss", _("Dismissed")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="desk_dismissals"
    )
    kind = models.CharField(_("kind"), max_length=40)
    item_key = models.CharField(_("item"), max_length=300)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    until = models.DateTimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = DeskDismissalQuerySet.as_manager()

    class Meta:
        verbose_name = _("item set aside")
        verbose_name_plural = _("items set aside")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["staff", "kind", "item_key"], name="desk_dismissal_item")]

    def __str__(self):
        return f"{self.kind} {self.item_key}"


class BookFigure(models.Model):
    """The nightly "book figures" of a bank (built by dashboard.figures.rebuild, one set-based
    statement per bank after its local end of day): per branch × primary manager × tier × lifecycle
    stage, how many golden customers and their AUM. The book and breakdown cards sum these few rows
    instead of grouping a 20k-customer book or a 3,000-branch bank's customers on every request,
    and say "as of" built_at."""

    class Grain(models.TextChoices):
        # branch × manager × tier × stage: what a manager's book and a supervisor's subtree sum
        BOOK = "", "branch, manager, tier, stage"
        # the same build grouped coarser (GROUPING SETS), so that the head office (or the
        # supervisor of a bank's only top branch) reads a few rows, not the bank's tens of thousands
        BANK = "bank", "tier, stage"
        BRANCH = "branch", "branch"
        MANAGER = "manager", "manager"

    bank = models.ForeignKey("sysadmin.Bank", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("sysadmin.Branch", null=True, on_delete=models.CASCADE, related_name="+")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=10, blank=True, default="", choices=Grain.choices)
    tier = models.CharField(max_length=20)
    lifecycle_stage = models.CharField(max_length=20)
    customers = models.IntegerField()
    aum = models.DecimalField(max_digits=20, decimal_places=2)
    built_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["bank", "manager"], name="dash_bookfig_bank_mgr"),
            models.Index(fields=["bank", "branch"], name="dash_bookfig_bank_branch"),
            models.Index(fields=["bank", "grain"], name="dash_bookfig_bank_grain"),
        ]

    def __str__(self):
        return f"{self.tier}/{self.lifecycle_stage}: {self.customers}"


class DashFigure(models.Model):
    """The other nightly dashboard figures (built beside BookFigure by dashboard.figures.rebuild),
    per branch × primary manager of the customer, one `kind` each (the AUM and transaction kinds
    once per branch, once per manager as `<kind>_manager`, once for the bank as `<kind>_bank`:
    a 3,000-branch bank has far fewer rows per branch than per branch × manager):

    - `aum_month`: the asset holdings' balances in base currency at the month end `day`;
    - `maturity` / `instalment`: holdings (not closed) maturing / with an instalment due in the
      30 days from the bank's local day of the build (`n`, `amount`);
    - `transactions`: per `channel` × `currency`, the transactions of the 30 (`n`, `amount`) and
      7 (`n7`, `amount7`) days before the build.

    The AUM trend, due and transactions cards sum these rows instead of reading the balances,
    holdings and transactions of a 20k-customer book on every request."""

    class Kind(models.TextChoices):
        AUM_MONTH = "aum_month"
        AUM_MONTH_MANAGER = "aum_month_manager"
        AUM_MONTH_BANK = "aum_month_bank"
        MATURITY = "maturity"
        INSTALMENT = "instalment"
        TRANSACTIONS = "transactions"
        TRANSACTIONS_MANAGER = "transactions_manager"
        TRANSACTIONS_BANK = "transactions_bank"

    bank = models.ForeignKey("sysadmin.Bank", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("sysadmin.Branch", null=True, on_delete=models.CASCADE, related_name="+")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    day = models.DateField(null=True)
    channel = models.CharField(max_length=20, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    n = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=24, decimal_places=2, default=0)
    n7 = models.BigIntegerField(default=0)
    amount7 = models.DecimalField(max_digits=24, decimal_places=2, default=0)
    built_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["bank", "kind", "manager"], name="dash_fig_bank_kind_mgr"),
            models.Index(fields=["bank", "kind", "branch"], name="dash_fig_bank_kind_branch"),
        ]

    def __str__(self):
        return f"{self.kind} {self.day or ''} {self.channel}: {self.n} {self.amount}"
