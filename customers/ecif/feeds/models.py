"""The pre-processing layer of the ECIF (issue 4): what each source system told us.

A SourceRecord is one source system's view of one customer, keyed by (bank, source
system, source key) and upserted by the customer feed. Matching (customers.ecif.matching.services)
resolves each record to a golden Customer (`customer`), creating one when nobody
matches; holdings and transactions from the feeds find their customer through it.
Identity numbers follow the PII rules of IdentityDocument: keyed hash for matching,
ciphertext, masked form; never in clear text.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import ScopedQuerySet, scope_of


class SourceRecordQuerySet(ScopedQuerySet):
    scope_bank_field = "customer__bank"
    scope_branch_field = "customer__branch"
    scope_owner_field = "customer__primary_manager"
    scope_guardian_grants = False


class SourceRecord(models.Model):
    class MatchStatus(models.TextChoices):
        UNRESOLVED = "unresolved", _("Not yet matched")
        NEW = "new", _("New customer")
        MATCHED = "matched", _("Matched")
        REVIEW = "review", _("Waiting for review")

    bank_id = models.BigIntegerField(_("bank"))
    source_system = models.CharField(_("source system"), max_length=30)
    source_key = models.CharField(_("source key"), max_length=64)
    business_date = models.DateField(_("business date"))
    kind = models.CharField(_("kind"), max_length=10, choices=[("retail", _("Retail")), ("corporate", _("Corporate"))])
    name_local = models.CharField(_("name"), max_length=200)
    name_latin = models.CharField(_("name (Latin script)"), max_length=200, blank=True)
    gender = models.CharField(_("gender"), max_length=1, blank=True)
    birth_date = models.DateField(_("birth date / founded"), null=True, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, blank=True)
    id_type = models.CharField(_("document type"), max_length=20, blank=True)
    id_number_hash = models.CharField(_("document number (keyed hash)"), max_length=64, blank=True)
    id_number_encrypted = models.TextField(_("document number (encrypted)"), blank=True)
    id_number_masked = models.CharField(_("document number"), max_length=40, blank=True)
    registration_code = models.CharField(_("registration / unified social credit code"), max_length=30, blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True)
    email = models.CharField(_("e-mail"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    branch_code = models.CharField(_("branch code"), max_length=30, blank=True)
    # db_index=False: sourcerecord_customer is that index (a second copy cost every feed row its upkeep).
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_records",
        db_index=False,
    )
    match_status = models.CharField(_("match status"), max_length=12, choices=MatchStatus.choices, default=MatchStatus.UNRESOLVED)
    loaded_by_run_id = models.BigIntegerField(_("loaded by job run"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = SourceRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("source record")
        verbose_name_plural = _("source records")
        constraints = [
            models.UniqueConstraint(fields=["bank_id", "source_system", "source_key"], name="sourcerecord_key"),
        ]
        indexes = [
            models.Index(fields=["bank_id", "match_status"], name="sourcerecord_status"),
            models.Index(fields=["customer"], name="sourcerecord_customer"),
            models.Index(fields=["bank_id", "id_type", "id_number_hash"], name="sourcerecord_identity"),
        ]

    def __str__(self):
        return f"{self.source_system}:{self.source_key} {self.name_local}"


class FeedLoadQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Feed loads are the bank's back office: everyone of the bank who may load feeds sees them."""
        scope = scope_of(user)
        if scope == "all":
            return self
        if scope is None or not user.has_perm("customers.load_feeds"):
            return self.none()
        return self.filter(bank_id=user.bank_id)


class FeedLoad(models.Model):
    """One delivered file of one source system's feed for one business date, and what its
    load did. A corrected re-delivery of the same (source, feed, business date) is a new
    FeedLoad that replaces the earlier one (which is then marked superseded)."""

    class Feed(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        IDENTITIES = "identities", _("Identity documents")
        CONTACTS = "contacts", _("Contact points")
        HOLDINGS = "holdings", _("Holdings and balances")
        TRANSACTIONS = "transactions", _("Transactions")
        FX_RATES = "fx_rates", _("Exchange rates")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Loading")
        LOADED = "loaded", _("Loaded")
        UNCHANGED = "unchanged", _("Same file as already loaded")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")
        SUPERSEDED = "superseded", _("Replaced by a later delivery")

    class Origin(models.TextChoices):
        UPLOAD = "upload", _("Upload page")
        INBOX = "inbox", _("Inbox folder")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    source_system = models.CharField(_("source system"), max_length=30)
    feed = models.CharField(_("feed"), max_length=20, choices=Feed.choices)
    business_date = models.DateField(_("business date"))
    original_name = models.CharField(_("file name"), max_length=255)
    # Uploads are kept in storage; inbox files stay in the inbox tree (inbox_path), moved from
    # loading/ to processed/ or rejected/ when their load ends.
    file = models.FileField(_("file"), upload_to="feeds/%Y/%m/", max_length=300, blank=True)
    inbox_path = models.CharField(_("inbox file"), max_length=500, blank=True)
    file_size = models.BigIntegerField(_("file size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file_format = models.CharField(_("format"), max_length=10, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    origin = models.CharField(_("delivered through"), max_length=10, choices=Origin.choices, default=Origin.UPLOAD)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(_("file error"), blank=True)
    rows_read = models.BigIntegerField(_("read"), default=0)
    rows_loaded = models.BigIntegerField(_("loaded"), default=0)
    rows_rejected = models.BigIntegerField(_("rejected"), default=0)
    matched = models.BigIntegerField(_("matched"), default=0)
    merged = models.BigIntegerField(_("merged"), default=0)
    job_run = models.ForeignKey(
        "ocrm.JobRun", verbose_name=_("job run"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = FeedLoadQuerySet.as_manager()

    class Meta:
        verbose_name = _("feed load")
        verbose_name_plural = _("feed loads")
        ordering = ["-created_at", "-id"]
        permissions = [("load_feeds", "Load source-system feeds")]
        indexes = [models.Index(fields=["bank", "source_system", "feed", "business_date"], name="feedload_delivery")]

    def __str__(self):
        return f"{self.source_system} {self.get_feed_display()} {self.business_date} ({self.original_name})"

    @property
    def job_key(self):
        """What makes two deliveries the same load: source, feed, date and the exact content."""
        return f"{self.source_system}|{self.feed}|{self.sha256}"


class FeedError(models.Model):
    """One rejected row of a feed file: row number (as a spreadsheet shows it), field, reason.
    Identity numbers appear here masked only."""

    load = models.ForeignKey(FeedLoad, on_delete=models.CASCADE, related_name="errors")
    row_number = models.BigIntegerField(_("row"))
    field = models.CharField(_("field"), max_length=40)
    value = models.CharField(_("value"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=300)

    class Meta:
        verbose_name = _("feed error")
        verbose_name_plural = _("feed errors")
        indexes = [models.Index(fields=["load", "row_number"], name="feederror_load_row")]

    def __str__(self):
        return f"{self.row_number} {self.field}: {self.reason}"
