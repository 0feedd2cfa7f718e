"""The report layer's data: immutable nightly snapshots per bank and business date (DESIGN §5).

Each table holds, for one bank and one business date (the bank's local date at its end of day),
what was true at that night's close. Rows are written once by the nightly build
(reports.snapshots.build, set-based SQL, idempotent per date) and never updated: a back-dated
question ("as it was at the end of June") reads the rows of that date, never today's data.
Every row carries `method_version`, the version of the statement that produced it, so rows of an
old and a new method are never compared as if alike.

The tables are range-partitioned by month on business_date (ocrm.datalife.partitions), so
retention drops whole months. Ids (customer, branch, manager, product) are plain integers, not
foreign keys: a snapshot outlives the merge or deletion of what it describes.

Amounts are in the bank's base currency (Decimal, two places)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 20, "decimal_places": 2}


class SnapshotRun(models.Model):
    """One nightly build of one bank's snapshots for one business date: the report pages say
    "as of" its finished_at, and a rerun for the same date finds it and changes nothing."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    bank_id = models.BigIntegerField()
    business_date = models.DateField(_("business date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows = models.JSONField(_("rows written"), default=dict, blank=True)  # {table: count}
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("snapshot run")
        verbose_name_plural = _("snapshot runs")
        constraints = [models.UniqueConstraint(fields=["bank_id", "business_date"], name="snapshot_run_one_per_day")]
        ordering = ["-business_date"]

    def __str__(self):
        return f"{self.bank_id} {self.business_date} {self.status}"


class CustomerDay(models.Model):
    """One golden customer on one business date: the grain of the analyses that need customers
    (movement between stages, Pareto, segments, churn, drill-down to the customers behind a figure)."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField(_("business date"))
    customer_id = models.BigIntegerField()
    branch_id = models.BigIntegerField()
    manager_id = models.BigIntegerField(null=True)
    kind = models.CharField(_("kind"), max_length=10)
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=10)
    tier = models.CharField(_("tier"), max_length=10)
    star_rating = models.SmallIntegerField(_("stars"))
    aum = models.DecimalField(_("AUM"), **MONEY)  # assets held with the bank
    liabilities = models.DecimalField(_("liabilities"), **MONEY)  # loans and cards outstanding
    contribution = models.DecimalField(_("contribution"), **MONEY)
    fee_income = models.DecimalField(_("fee income"), **MONEY)  # fees charged on the business date
    products_held = models.SmallIntegerField(_("products held"))
    product_categories = models.CharField(_("product categories"), max_length=100)  # sorted, comma-separated
    transactions_30d = models.IntegerField(_("transactions in 30 days"))
    method_version = models.SmallIntegerField()

    class Meta:
        verbose_name = _("customer snapshot")
        verbose_name_plural = _("customer snapshots")
        indexes = [
            models.Index(fields=["bank_id", "business_date", "branch_id"], name="snap_cust_day_branch"),
            models.Index(fields=["business_date", "manager_id"], name="snap_cust_day_manager"),
            models.Index(fields=["customer_id", "business_date"], name="snap_cust_customer"),
        ]

    def __str__(self):
        return f"{self.business_date} customer {self.customer_id}"


class HoldingDay(models.Model):
    """Holdings aggregated per branch × manager × product × currency on one business date
    (AUM, liabilities, penetration by product, trends)."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField(_("business date"))
    branch_id = models.BigIntegerField()
    manager_id = models.BigIntegerField(null=True)
    product_id = models.BigIntegerField()
    category = models.CharField(_("category"), max_length=10)  # the product's category
    currency = models.CharField(_("currency"), max_length=3)
    holders = models.IntegerField(_("customers"))
    accounts = models.IntegerField(_("accounts"))
    balance = models.DecimalField(_("balance"), **MONEY)  # in `currency`
    balance_base = models.DecimalField(_("balance in base currency"), **MONEY)
    method_version = models.SmallIntegerField()

    class Meta:
        verbose_name = _("holdings snapshot")
        verbose_name_plural = _("holdings snapshots")
        indexes = [models.Index(fields=["bank_id", "business_date", "branch_id"], name="snap_hold_day_branch")]

    def __str__(self):
        return f"{self.business_date} product {self.product_id} {self.currency}"


class TransactionDay(models.Model):
    """Transactions of one business date per branch × manager × channel × type × currency."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField(_("business date"))
    branch_id = models.BigIntegerField()
    manager_id = models.BigIntegerField(null=True)
    channel = models.CharField(_("channel"), max_length=10)
    txn_type = models.CharField(_("type"), max_length=40)
    currency = models.CharField(_("currency"), max_length=3)
    count = models.IntegerField(_("transactions"))
    amount_base = models.DecimalField(_("amount in base currency"), **MONEY)
    method_version = models.SmallIntegerField()

    class Meta:
        verbose_name = _("transactions snapshot")
        verbose_name_plural = _("transactions snapshots")
        indexes = [models.Index(fields=["bank_id", "business_date", "branch_id"], name="snap_txn_day_branch")]

    def __str__(self):
        return f"{self.business_date} {self.channel} {self.txn_type}"


class MeasureDay(models.Model):
    """The figures other apps contribute through ocrm.reporting (campaign conversions, won
    opportunities, service requests completed, cross-border revenue...), per branch × manager."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField(_("business date"))
    branch_id = models.BigIntegerField()
    manager_id = models.BigIntegerField(null=True)
    measure = models.CharField(_("measure"), max_length=60)  # ocrm.reporting.Measure.key
    value = models.BigIntegerField(_("value"))  # a count, or minor units of the base currency
    method_version = models.SmallIntegerField()  # the Measure's version

    class Meta:
        verbose_name = _("measure snapshot")
        verbose_name_plural = _("measure snapshots")
        indexes = [models.Index(fields=["bank_id", "business_date", "measure"], name="snap_measure_day")]

    def __str__(self):
        return f"{self.business_date} {self.measure}"


class RollupDay(models.Model):
    """CustomerDay summed per branch × manager × one report dimension, on one business date: the
    whole-bank report pages (customers by stage / tier / stars, balances, penetration) add up a few
    rows per manager instead of every customer (reports.snapshots.rollup). `grain` says which
    dimension a row is grouped by; the other dimension columns are NULL. Each grain holds every
    customer of the date exactly once, so any one grain gives the totals."""

    class Grain(models.TextChoices):
        STAGE = "stage", _("Lifecycle stage")
        TIER = "tier", _("Tier")
        STAR = "star", _("Stars")
        PRODUCTS = "products", _("Products held")

    bank_id = models.BigIntegerField()
    business_date = models.DateField(_("business date"))
    branch_id = models.BigIntegerField()
    manager_id = models.BigIntegerField(null=True)
    grain = models.CharField(_("grain"), max_length=10, choices=Grain.choices)
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=10, null=True)
    tier = models.CharField(_("tier"), max_length=10, null=True)
    star_rating = models.SmallIntegerField(_("stars"), null=True)
    products_held = models.SmallIntegerField(_("products held"), null=True)
    product_categories = models.CharField(_("product categories"), max_length=100, null=True)
    customer_count = models.IntegerField(_("customers"))
    product_count = models.IntegerField(_("products held"))  # the sum of the customers' products_held
    aum = models.DecimalField(_("AUM"), **MONEY)
    liabilities = models.DecimalField(_("liabilities"), **MONEY)
    contribution = models.DecimalField(_("contribution"), **MONEY)
    fee_income = models.DecimalField(_("fee income"), **MONEY)
    method_version = models.SmallIntegerField()

    class Meta:
        verbose_name = _("customer roll-up")
        verbose_name_plural = _("customer roll-ups")
        indexes = [models.Index(fields=["bank_id", "business_date", "grain", "branch_id"], name="snap_rollup_day")]

    def __str__(self):
        return f"{self.business_date} {self.grain} {self.branch_id}"


class RollupMoveDay(models.Model):
    """How customers moved between the stages / tiers / stars of an earlier date (compare_date:
    the day before or the previous month's end) and the business date, per the branch and manager
    they had on each side (NULL: not a customer on that side): the movement table of the customers
    report compared day over day or month over month, without joining two days of customer rows
    (reports.snapshots.rollup)."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField(_("business date"))
    compare_date = models.DateField(_("compared with"))
    grain = models.CharField(_("grain"), max_length=10, choices=RollupDay.Grain.choices)
    branch_id = models.BigIntegerField(null=True)  # on the business date
    manager_id = models.BigIntegerField(null=True)
    then_branch_id = models.BigIntegerField(null=True)  # on the compare date
    then_manager_id = models.BigIntegerField(null=True)
    before_value = models.CharField(_("before"), max_length=10, null=True)
    after_value = models.CharField(_("after"), max_length=10, null=True)
    customer_count = models.IntegerField(_("customers"))
    method_version = models.SmallIntegerField()

    class Meta:
        verbose_name = _("customer movement roll-up")
        verbose_name_plural = _("customer movement roll-ups")
        indexes = [models.Index(fields=["bank_id", "business_date", "compare_date", "grain"], name="snap_rollup_move")]

    def __str__(self):
        return f"{self.compare_date}..{self.business_date} {self.grain}"


class HoldingBranchDay(models.Model):
    """HoldingDay summed over the managers of each branch (reports.snapshots.rollup.write_branch):
    what a page without a manager reads (a row per branch × product × currency, not per manager)."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField(_("business date"))
    branch_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    category = models.CharField(_("category"), max_length=10)
    currency = models.CharField(_("currency"), max_length=3)
    holders = models.IntegerField(_("customers"))
    accounts = models.IntegerField(_("accounts"))
    balance = models.DecimalField(_("balance"), **MONEY)
    balance_base = models.DecimalField(_("balance in base currency"), **MONEY)
    method_version = models.SmallIntegerField()

    class Meta:
        verbose_name = _("holdings roll-up per branch")
        verbose_name_plural = _("holdings roll-ups per branch")
        indexes = [models.Index(fields=["bank_id", "business_date", "branch_id"], name="snap_hold_branch")]

    def __str__(self):
        return f"{self.business_date} product {self.product_id} {self.currency}"


class TransactionBranchDay(models.Model):
    """TransactionDay summed over the managers of each branch (as HoldingBranchDay)."""

    bank_id = models.BigIntegerField()
    business_date = models.DateField(_("business date"))
    branch_id = models.BigIntegerField()
    channel = models.CharField(_("channel"), max_length=10)
    txn_type = models.CharField(_("type"), max_length=40)
    currency = models.CharField(_("currency"), max_length=3)
    count = models.BigIntegerField(_("transactions"))
    amount_base = models.DecimalField(_("amount in base currency"), **MONEY)
    method_version = models.SmallIntegerField()

    class Meta:
        verbose_name = _("transactions roll-up per branch")
        verbose_name_plural = _("transactions roll-ups per branch")
        indexes = [models.Index(fields=["bank_id", "business_date", "branch_id"], name="snap_txn_branch")]

    def __str__(self):
        return f"{self.business_date} {self.channel} {self.txn_type}"
