"""The ACRM analyses have no table of their own: they read the snapshot tables
(reports.snapshots.models) and, for the customers behind a figure, the customer scope.

`Analysis` exists only to carry the analyses' permissions (a model without a table, like a
permission model): roles are granted them in sysadmin/roles.py."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Analysis(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("ACRM analysis")
        verbose_name_plural = _("ACRM analyses")
        permissions = [
            ("view_analyses", "See the ACRM analyses (contribution, segments, churn warning)"),
            ("view_credit_risk", "See the potential-risk analysis of loans"),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)


# --- precomputed by the nightly build (reports.analyses.precompute), one set per bank × business date


class AnalysisDay(models.Model):
    """The marker: the analyses of (bank, business date) were precomputed by the build; pages read
    the rows below for that date, and compute from CustomerDay when there is no marker (older dates)."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField(_("business date"))
    compare_date = models.DateField(null=True)  # the churn comparison snapshot (D - 30 days or before)
    warned_on = models.DateField(null=True)  # the backtest's warning date (D - 90 days or before)
    method_version = models.SmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bank_id", "business_date"], name="analysisday_unique")]

    def __str__(self):
        return f"{self.bank_id} {self.business_date}"


class ParetoDay(models.Model):
    """One percentile bucket of one group: the bank (branch_id NULL) or one branch; `running` is
    the sum of `measure` over the buckets up to this one, `total` the group's total, n its customers."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField()
    branch_id = models.BigIntegerField(null=True)
    measure = models.CharField(max_length=12)
    bucket = models.SmallIntegerField()
    n = models.IntegerField()
    running = models.DecimalField(max_digits=22, decimal_places=2)
    total = models.DecimalField(max_digits=22, decimal_places=2)

    def __str__(self):
        return f"{self.bank_id} {self.business_date}"


class SegmentDay(models.Model):
    """Customers and AUM per branch × manager × segment cell (additive over a subtree or a book)."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField()
    branch_id = models.BigIntegerField()
    manager_id = models.BigIntegerField(null=True)
    value = models.CharField(max_length=10)
    lifecycle = models.CharField(max_length=10)
    usage = models.CharField(max_length=10)
    customers = models.IntegerField()
    aum = models.DecimalField(max_digits=22, decimal_places=2)

    def __str__(self):
        return f"{self.bank_id} {self.business_date}"


class ChurnDay(models.Model):
    """Churn per branch × manager: customers scored and warned, how often each signal is true, and
    the backtest of the warnings of `warned_on` checked on this date (grouped by the branch and
    manager of the warning date)."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField()
    branch_id = models.BigIntegerField()
    manager_id = models.BigIntegerField(null=True)
    scored = models.IntegerField(default=0)
    warned = models.IntegerField(default=0)
    salary_stopped = models.IntegerField(default=0)
    balance_drained = models.IntegerField(default=0)
    maturity_not_rolled = models.IntegerField(default=0)
    fewer_transactions = models.IntegerField(default=0)
    lifecycle_down = models.IntegerField(default=0)
    bt_scored = models.IntegerField(default=0)
    bt_warned = models.IntegerField(default=0)
    bt_churned = models.IntegerField(default=0)
    bt_warned_churned = models.IntegerField(default=0)

    def __str__(self):
        return f"{self.bank_id} {self.business_date}"


class ChurnWarningDay(models.Model):
    """One warned customer (score ≥ WARN_AT) of the date, with the figures and signals behind it."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField()
    customer_id = models.BigIntegerField()
    branch_id = models.BigIntegerField()
    manager_id = models.BigIntegerField(null=True)
    aum = models.DecimalField(max_digits=20, decimal_places=2)
    prev_aum = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    transactions_30d = models.IntegerField()
    prev_transactions = models.IntegerField(null=True)
    lifecycle_stage = models.CharField(max_length=10)
    prev_stage = models.CharField(max_length=10, null=True)
    salary_stopped = models.BooleanField()
    balance_drained = models.BooleanField()
    maturity_not_rolled = models.BooleanField()
    fewer_transactions = models.BooleanField()
    lifecycle_down = models.BooleanField()
    score = models.SmallIntegerField()

    def __str__(self):
        return f"{self.bank_id} {self.business_date}"


class MovementDay(models.Model):
    """Customers moving from segment `seg_a` (branch_a, manager_a on compare_date) to `seg_b`
    (branch_b, manager_b on business_date); a side is NULL when the customer is not in that
    date's snapshot. Additive on both sides: a scope keeps a side when its branch/manager is in it."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField()
    compare_date = models.DateField()
    branch_a = models.BigIntegerField(null=True)
    manager_a = models.BigIntegerField(null=True)
    seg_a = models.CharField(max_length=24, null=True)
    branch_b = models.BigIntegerField(null=True)
    manager_b = models.BigIntegerField(null=True)
    seg_b = models.CharField(max_length=24, null=True)
    customers = models.IntegerField()

    def __str__(self):
        return f"{self.bank_id} {self.business_date}"


class TopCustomerDay(models.Model):
    """A customer among the bank's top customers of the date (the largest cut, 20 %) by AUM or by
    contribution: its rank and the running sum up to it for each measure (NULL: not in that
    measure's top). The top-customers page of a whole bank reads these instead of ranking
    every customer-day row per request; the totals are ParetoDay's."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField()
    customer_id = models.BigIntegerField()
    branch_id = models.BigIntegerField()
    aum = models.DecimalField(max_digits=20, decimal_places=2)
    contribution = models.DecimalField(max_digits=20, decimal_places=2)
    aum_rank = models.IntegerField(null=True)
    aum_running = models.DecimalField(max_digits=22, decimal_places=2, null=True)
    contribution_rank = models.IntegerField(null=True)
    contribution_running = models.DecimalField(max_digits=22, decimal_places=2, null=True)

    def __str__(self):
        return f"{self.bank_id} {self.business_date} {self.customer_id}"
