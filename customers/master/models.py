"""The customer master (ECIF golden record) and everything the 360° view shows.

Every table carries bank_id directly (DESIGN §6: Citus distribution by tenant, monthly
partitions for transactions and balance history). Identity numbers are stored only as
a keyed hash (look-up), a ciphertext (unmask permission) and a masked form (display);
see ocrm/pii.py.
"""

import datetime
import uuid

from django.apps import apps
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import BrinIndex, GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from customers.master.search import name_grams
from ocrm import pii, tenants
from ocrm.scoping import ScopedQuerySet
from sysadmin.org.models import Bank, Branch

MONEY = {"max_digits": 20, "decimal_places": 2}


class CustomerQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "branch"
    scope_owner_field = "primary_manager"
    scope_subtree_by_ids = True

    def _granted_ids(self, user):
        """Guardian grants count only while a share backs them (customers.ownership.sharing.models): access
        ends the moment a share expires or is revoked, before the clean-up job removes the grant."""
        by_user, by_group = super()._granted_ids(user)
        # By name, not by import: the sharing area builds on the master, not the other way round.
        shares = apps.get_model("customers", "CustomerShare")
        in_force = shares.objects.in_force().filter(shared_with=user).values("customer_id")
        return by_user.filter(obj_id__in=in_force), by_group.filter(obj_id__in=in_force)

    def active(self):
        """Golden records only: merged-away duplicates are hidden everywhere."""
        return self.filter(merged_into__isnull=True)


class Customer(models.Model):
    class Kind(models.TextChoices):
        RETAIL = "retail", _("Retail")
        CORPORATE = "corporate", _("Corporate")

    class Lifecycle(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        DORMANT = "dormant", _("Dormant")
        DECLINING = "declining", _("Declining")
        EXITED = "exited", _("Exited")

    class Tier(models.TextChoices):
        MASS = "mass", _("Mass")
        AFFLUENT = "affluent", _("Affluent")
        WEALTH = "wealth", _("Wealth")
        PRIVATE = "private", _("Private banking")

    class Risk(models.TextChoices):
        R1 = "R1", _("R1 conservative")
        R2 = "R2", _("R2 cautious")
        R3 = "R3", _("R3 balanced")
        R4 = "R4", _("R4 growth")
        R5 = "R5", _("R5 aggressive")

    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="customers")
    number = models.CharField(_("customer number"), max_length=32)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name_local = models.CharField(_("name"), max_length=200)
    name_latin = models.CharField(_("name (Latin script)"), max_length=200, blank=True)
    # Search keys derived from the names (customers.master.search.name_grams): CJK unigrams and
    # bigrams, Latin word prefixes. Kept by save() and by the batch loaders.
    name_grams = ArrayField(models.CharField(max_length=40), default=list, blank=True, editable=False)
    branch = models.ForeignKey(Branch, verbose_name=_("owning branch"), on_delete=models.PROTECT, related_name="customers")
    primary_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("primary manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
    )
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=10, choices=Lifecycle.choices, default=Lifecycle.PROSPECT)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.MASS)
    star_rating = models.PositiveSmallIntegerField(_("stars"), default=1, validators=[MinValueValidator(0), MaxValueValidator(7)])
    risk_level = models.CharField(_("risk level"), max_length=2, choices=Risk.choices, blank=True)
    aum = models.DecimalField(_("AUM (base currency)"), default=0, **MONEY)  # kept by the nightly batch
    contribution = models.DecimalField(_("contribution"), default=0, **MONEY)
    source_systems = ArrayField(models.CharField(max_length=30), default=list, blank=True, verbose_name=_("source systems"))
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    do_not_sms = models.BooleanField(_("no SMS"), default=False)
    do_not_email = models.BooleanField(_("no e-mail"), default=False)
    household = models.ForeignKey(
        "Household", verbose_name=_("household"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    tags = models.ManyToManyField("Tag", through="CustomerTag", related_name="customers", blank=True, verbose_name=_("tags"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["bank", "number"], name="customer_number_unique_per_bank")]
        indexes = [
            GinIndex(fields=["name_grams"], name="customer_name_grams"),
            models.Index(fields=["bank", "primary_manager"], name="customer_bank_manager"),
            # The tier too: a supervisor's filter by tier reads that tier's customers of the subtree
            # only (migration 0023); the scope itself uses the first two columns.
            models.Index(fields=["bank", "branch", "tier"], name="customer_bank_branch_tier"),
            models.Index(fields=["bank", "aum"], name="customer_bank_aum"),
        ]
        permissions = [
            ("unmask_pii", "See identity numbers and phone numbers unmasked"),
            ("export_customers", "Export customer lists"),
            ("approve_change", "Approve or reject customer change requests (checker)"),
            ("maintain_batch", "Upload batch maintenance files"),
        ]

    def __str__(self):
        return f"{self.number} {self.name_local}"

    def save(self, *args, **kwargs):
        self.name_grams = name_grams(self.name_local, self.name_latin)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and ({"name_local", "name_latin"} & set(update_fields)):
            kwargs["update_fields"] = {*update_fields, "name_grams"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):

        return reverse("customers:detail", args=[self.number])

    @property
    def is_retail(self):
        return self.kind == self.Kind.RETAIL


class CustomerNamePair(models.Model):
    """Each pair of adjacent CJK characters of a customer's names (the two-character grams of
    Customer.name_grams) with the customer's place in the list's own order: a bank-wide search
    for a common Chinese name (慧敏) reads its first page from this table's (bank, pair, AUM
    descending, number) index in that order, where the GIN index of the grams cannot keep an order
    and the (bank, AUM) index tested thousands of other names first (docs/performance.md).

    Written by the database alone, by statement triggers on customers_customer (migration 0024),
    so that every path that writes customers (a save, a feed's COPY, the nightly AUM update, a
    merge) keeps it; the application only reads it."""

    pk = models.CompositePrimaryKey("customer_id", "pair")
    # Plain columns, not foreign keys: the rows are derived from the customer by the triggers, which
    # also remove them; as relations, a merge would move them and a deletion collect them.
    customer_id = models.BigIntegerField()
    pair = models.CharField(max_length=2)
    bank_id = models.BigIntegerField()
    aum = models.DecimalField(**MONEY)
    number = models.CharField(max_length=32)

    class Meta:
        # The customer too: a page's ids are read from the index alone once VACUUM has marked the pages.
        indexes = [
            models.Index(fields=["bank_id", "pair", "-aum", "number"], include=["customer_id"], name="customer_name_pair_walk")
        ]

    def __str__(self):
        return self.pair


class RetailProfile(models.Model):
    class Gender(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")
        OTHER = "X", _("Other / not stated")

    class Marital(models.TextChoices):
        SINGLE = "single", _("Single")
        MARRIED = "married", _("Married")
        DIVORCED = "divorced", _("Divorced")
        WIDOWED = "widowed", _("Widowed")

    class Education(models.TextChoices):
        SECONDARY = "secondary", _("Secondary school")
        VOCATIONAL = "vocational", _("Vocational")
        BACHELOR = "bachelor", _("Bachelor")
        MASTER = "master", _("Master")
        DOCTORATE = "doctorate", _("Doctorate")

    class Income(models.TextChoices):
        LOW = "low", _("Below 100k a year")
        MIDDLE = "middle", _("100k–500k a year")
        HIGH = "high", _("500k–2m a year")
        VERY_HIGH = "very_high", _("Over 2m a year")

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="retail_profile", primary_key=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    nationality = CountryField(_("nationality"), blank=True)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    education = models.CharField(_("education"), max_length=12, choices=Education.choices, blank=True)
    marital_status = models.CharField(_("marital status"), max_length=10, choices=Marital.choices, blank=True)
    income_band = models.CharField(_("income band"), max_length=10, choices=Income.choices, blank=True)
    interests = models.CharField(_("interests"), max_length=300, blank=True)
    hobbies = models.CharField(_("hobbies"), max_length=300, blank=True)
    personality_notes = models.TextField(_("personality"), blank=True)
    preference_notes = models.TextField(_("preferences"), blank=True)

    class Meta:
        verbose_name = _("retail profile")
        verbose_name_plural = _("retail profiles")

    def __str__(self):
        return str(self.customer)


class CorporateProfile(models.Model):
    class Size(models.TextChoices):
        MICRO = "micro", _("Micro")
        SMALL = "small", _("Small")
        MEDIUM = "medium", _("Medium")
        LARGE = "large", _("Large")

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="corporate_profile", primary_key=True)
    registration_code = models.CharField(_("registration / unified social credit code"), max_length=30, blank=True, db_index=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    registered_capital = models.DecimalField(_("registered capital"), null=True, blank=True, **MONEY)
    capital_currency = models.CharField(_("capital currency"), max_length=3, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=Size.choices, blank=True)
    founded_on = models.DateField(_("founded"), null=True, blank=True)
    is_listed = models.BooleanField(_("listed company"), default=False)

    class Meta:
        verbose_name = _("corporate profile")
        verbose_name_plural = _("corporate profiles")

    def __str__(self):
        return str(self.customer)


class CustomerChildQuerySet(ScopedQuerySet):
    """Rows that belong to a customer: visible exactly when their customer is."""

    scope_bank_field = "customer__bank"
    scope_branch_field = "customer__branch"
    scope_owner_field = "customer__primary_manager"
    scope_guardian_grants = False

    def visible_to(self, user):
        return self.filter(customer__in=Customer.objects.visible_to(user))


class IdentityDocument(models.Model):
    class Type(models.TextChoices):
        RESIDENT_ID = "resident_id", _("Resident identity card (PRC)")
        PASSPORT = "passport", _("Passport")
        HK_ID = "hk_id", _("Hong Kong identity card")
        HK_MACAU_PERMIT = "hkm_permit", _("Mainland travel permit for HK/Macau residents")
        FOREIGN_ID = "foreign_id", _("Foreign national ID")
        BUSINESS_LICENCE = "business_licence", _("Business licence")
        OTHER = "other", _("Other")

    bank_id = models.BigIntegerField(db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identity_documents")
    doc_type = models.CharField(_("document type"), max_length=20, choices=Type.choices)
    number_hash = models.CharField(_("number (keyed hash)"), max_length=64, editable=False)
    number_encrypted = models.TextField(_("number (encrypted)"), editable=False)
    number_masked = models.CharField(_("number"), max_length=40, editable=False)
    issuing_country = CountryField(_("issuing country"))
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    is_primary = models.BooleanField(_("primary"), default=True)
    # Set when a source-system feed delivered the document (customers.ecif.feeds): the upsert key.
    source_system = models.CharField(_("source system"), max_length=30, blank=True, default="", db_default="")
    source_key = models.CharField(_("source key"), max_length=100, blank=True, default="", db_default="")

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("identity document")
        verbose_name_plural = _("identity documents")
        indexes = [models.Index(fields=["bank_id", "doc_type", "number_hash"], name="identity_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_id", "source_system", "source_key"], condition=~models.Q(source_key=""), name="identity_source_key"
            )
        ]

    def __str__(self):
        return f"{self.get_doc_type_display()} {self.number_masked}"

    def set_number(self, number):
        self.number_hash = pii.keyed_hash(number)
        self.number_encrypted = pii.encrypt(pii.normalise_id_number(number))
        self.number_masked = pii.mask_id(number)

    def clear_number(self):

        return pii.decrypt(self.number_encrypted)

    def clean(self):

        if self.doc_type == self.Type.RESIDENT_ID and self.number_encrypted:
            if not pii.resident_id_is_valid(self.clear_number() or ""):
                raise ValidationError({"number": _("This is not a valid resident ID number (check digit or date).")})


class ContactPoint(models.Model):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        WECHAT = "wechat", _("WeChat")
        WHATSAPP = "whatsapp", _("WhatsApp")
        LINE = "line", _("LINE")
        OTHER = "other", _("Other")

    bank_id = models.BigIntegerField(db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=200)  # phones in E.164, e-mail lower-case
    is_primary = models.BooleanField(_("primary"), default=False)
    is_verified = models.BooleanField(_("verified"), default=False)
    opted_out = models.BooleanField(_("opted out"), default=False)
    # Set when a source-system feed delivered the contact (customers.ecif.feeds): the upsert key.
    source_system = models.CharField(_("source system"), max_length=30, blank=True, default="", db_default="")
    source_key = models.CharField(_("source key"), max_length=100, blank=True, default="", db_default="")

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        indexes = [models.Index(fields=["bank_id", "value"], name="contact_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_id", "source_system", "source_key"], condition=~models.Q(source_key=""), name="contact_source_key"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.masked_value}"

    @property
    def is_phone(self):
        return self.kind in (self.Kind.MOBILE, self.Kind.PHONE)

    @property
    def masked_value(self):
        return pii.mask_contact(self.kind, self.value)


class Address(models.Model):
    class Kind(models.TextChoices):
        # "Home" alone is also the home page (首页): the context keeps the two apart.
        HOME = "home", pgettext_lazy("address type", "Home")
        WORK = "work", _("Work")
        REGISTERED = "registered", _("Registered")
        MAILING = "mailing", _("Mailing")

    bank_id = models.BigIntegerField(db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    country = CountryField(_("country"))
    region = models.CharField(_("province / state"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    line1 = models.CharField(_("address"), max_length=300)
    line2 = models.CharField(_("address line 2"), max_length=300, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self):
        return ", ".join(p for p in [self.line1, self.city, str(self.country)] if p)


class Household(models.Model):
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="households")
    name = models.CharField(_("name"), max_length=200)
    primary_member = models.ForeignKey(
        Customer, verbose_name=_("primary member"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self):
        return self.name


class Relationship(models.Model):
    class Kind(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        PARENT = "parent", _("Parent of")
        CHILD = "child", _("Child of")
        SIBLING = "sibling", _("Sibling")
        LEGAL_REPRESENTATIVE = "legal_rep", _("Legal representative of")
        SHAREHOLDER = "shareholder", _("Shareholder of")
        GUARANTOR = "guarantor", _("Guarantor for")
        EMPLOYEE = "employee", _("Employee of")
        BENEFICIAL_OWNER = "beneficial_owner", _("Beneficial owner of")

    # How the relation reads from the other side ("A parent of B" = "B child of A").
    INVERSE = {
        "spouse": _("Spouse"),
        "parent": _("Child of"),
        "child": _("Parent of"),
        "sibling": _("Sibling"),
        "legal_rep": _("Has legal representative"),
        "shareholder": _("Has shareholder"),
        "guarantor": _("Guaranteed by"),
        "employee": _("Employer of"),
        "beneficial_owner": _("Owned by"),
    }

    bank_id = models.BigIntegerField(db_index=True)
    from_customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="relationships_out")
    to_customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="relationships_in")
    kind = models.CharField(_("relationship"), max_length=20, choices=Kind.choices)
    share_percent = models.DecimalField(
        _("share %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.CheckConstraint(condition=~models.Q(from_customer=models.F("to_customer")), name="relationship_not_self"),
            models.UniqueConstraint(fields=["from_customer", "to_customer", "kind"], name="relationship_unique"),
        ]

    def __str__(self):
        return f"{self.from_customer_id} {self.kind} {self.to_customer_id}"

    def clean(self):
        if self.from_customer_id and self.from_customer_id == self.to_customer_id:
            raise ValidationError(_("A customer cannot be related to themselves."))
        if self.share_percent is not None and self.kind != self.Kind.SHAREHOLDER:
            raise ValidationError({"share_percent": _("Only a shareholder relation has a share.")})


class FxRateQuerySet(models.QuerySet):
    """Posted rates are the bank's public board: every active staff member of the bank sees all of
    them, whatever their data scope (a teller too); nobody sees another bank's."""

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if user.bank_id is None:
            return self.none()
        return self.filter(bank_id=user.bank_id)

    def day_rates(self, bank_id, day=None):
        """{currency: middle rate} the AUM uses for `day`: per currency the latest posting of the
        latest business date on or before `day` (several postings of one day: the latest effective
        wins); with no `day`, the latest posting of all (the 360 page's holdings). One query that
        steps from currency to currency through the index (bank, currency, as_of, effective_at)
        and reads one row of each: a DISTINCT ON sorted the bank's whole history of rates."""
        before_day = "AND f.as_of <= %(day)s" if day is not None else ""
        with connections[self.db].cursor() as cursor:
            cursor.execute(
                f"""
                WITH RECURSIVE currencies(currency) AS (
                    SELECT min(currency) FROM customers_fxrate WHERE bank_id = %(bank)s
                    UNION ALL
                    SELECT (SELECT min(f.currency) FROM customers_fxrate f
                            WHERE f.bank_id = %(bank)s AND f.currency > c.currency)
                    FROM currencies c WHERE c.currency IS NOT NULL
                )
                SELECT c.currency, latest.rate FROM currencies c
                CROSS JOIN LATERAL (
                    SELECT f.rate FROM customers_fxrate f
                    WHERE f.bank_id = %(bank)s AND f.currency = c.currency {before_day}
                    ORDER BY f.as_of DESC, f.effective_at DESC LIMIT 1
                ) latest""",
                {"bank": bank_id, "day": day},
            )
            return dict(cursor.fetchall())


def _rate_field(label):
    return models.DecimalField(label, max_digits=18, decimal_places=8, null=True, blank=True)


class FxRate(models.Model):
    """One posted exchange rate of the bank: 1 unit of `currency` = `rate` (the middle rate) units of
    the bank's base currency, with the buying and selling rates for transfers and for cash, in
    force from `effective_at` (UTC) until the next posting of the currency. `as_of` is the bank's
    business date of `effective_at` (its head office's zone), what the AUM computations read: the
    day's middle rate is the latest effective posting of that date (FxRateQuerySet.day_rates; the
    batch SQL orders by as_of, effective_at the same way). Postings are written only by the
    services of customers.fx (a manual posting after a checker's approval, or a rates feed);
    docs/fx.md."""

    class Source(models.TextChoices):
        FEED = "feed", _("Rates feed")
        MANUAL = "manual", _("Manual posting")

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="fx_rates")
    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("middle rate"), max_digits=18, decimal_places=8)
    buy_transfer = _rate_field(_("transfer buying rate"))
    sell_transfer = _rate_field(_("transfer selling rate"))
    buy_cash = _rate_field(_("cash buying rate"))
    sell_cash = _rate_field(_("cash selling rate"))
    as_of = models.DateField(_("business date"))
    effective_at = models.DateTimeField(_("effective from"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.FEED)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    objects = FxRateQuerySet.as_manager()

    RATE_FIELDS = ("buy_transfer", "sell_transfer", "buy_cash", "sell_cash", "rate")

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        permissions = [
            ("post_fxrate", "Post exchange rates (maker)"),
            ("approve_fxrate", "Approve posted exchange rates (checker)"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["bank", "currency", "effective_at"], name="fxrate_unique_posting"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fxrate_middle_positive"),
            models.CheckConstraint(
                condition=(models.Q(buy_transfer__isnull=True) | models.Q(buy_transfer__lte=models.F("rate")))
                & (models.Q(sell_transfer__isnull=True) | models.Q(sell_transfer__gte=models.F("rate")))
                & (models.Q(buy_cash__isnull=True) | models.Q(buy_cash__lte=models.F("rate")))
                & (models.Q(sell_cash__isnull=True) | models.Q(sell_cash__gte=models.F("rate"))),
                name="fxrate_spread_around_middle",
            ),
        ]
        indexes = [models.Index(fields=["bank", "currency", "as_of", "effective_at"], name="fxrate_day_latest")]

    def __str__(self):
        return f"{self.currency} {self.rate} ({self.as_of})"

    def save(self, *args, **kwargs):
        # Rows made with a business date only (tests, fixtures of before the board) take effect at the
        # start of that date in the bank's head-office zone, as the migration did with the old rows.
        zone = tenants.bank_zone(self.bank_id)
        if self.effective_at is None and self.as_of is not None:
            as_of = self.as_of
            if isinstance(as_of, str):
                as_of = datetime.date.fromisoformat(as_of)
            self.effective_at = datetime.datetime.combine(as_of, datetime.time.min, tzinfo=zone)
        if self.effective_at is not None:
            self.as_of = self.effective_at.astimezone(zone).date()
        super().save(*args, **kwargs)

    @property
    def middle(self):
        return self.rate


class Product(models.Model):
    class Category(models.TextChoices):
        ASSET = "asset", _("Assets")
        LIABILITY = "liability", _("Liabilities")
        FEE = "fee", _("Fee-based business")

    class Type(models.TextChoices):
        DEMAND_DEPOSIT = "demand_deposit", _("Demand deposit")
        TIME_DEPOSIT = "time_deposit", _("Time deposit")
        LOAN = "loan", _("Loan")
        CARD = "card", _("Card")
        FUND = "fund", _("Fund")
        BOND = "bond", _("Bond")
        WEALTH = "wealth", _("Wealth management product")
        INSURANCE = "insurance", _("Insurance")

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="products")
    code = models.CharField(_("code"), max_length=30)
    name_local = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    product_type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    currency = models.CharField(_("currency"), max_length=3)
    risk_level = models.CharField(_("risk level"), max_length=2, choices=Customer.Risk.choices, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["bank", "code"]
        constraints = [models.UniqueConstraint(fields=["bank", "code"], name="product_code_unique_per_bank")]

    def __str__(self):
        return f"{self.code} {self.name_local}"


class Holding(models.Model):
    """An account or contract the customer holds with us."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DORMANT = "dormant", _("Dormant")
        FROZEN = "frozen", _("Frozen")
        CLOSED = "closed", _("Closed")

    bank_id = models.BigIntegerField(db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="holdings")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey(
        Branch, verbose_name=_("opening branch"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    account_number = models.CharField(_("account number"), max_length=40)
    currency = models.CharField(_("currency"), max_length=3)
    balance = models.DecimalField(_("balance"), default=0, **MONEY)
    open_date = models.DateField(_("opened"), null=True, blank=True)
    maturity_date = models.DateField(_("maturity"), null=True, blank=True)
    rate = models.DecimalField(_("rate %"), max_digits=7, decimal_places=4, null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    next_instalment_date = models.DateField(_("next instalment"), null=True, blank=True)
    next_instalment_amount = models.DecimalField(_("instalment amount"), null=True, blank=True, **MONEY)
    source_system = models.CharField(_("source system"), max_length=30, blank=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("holding")
        verbose_name_plural = _("holdings")
        constraints = [models.UniqueConstraint(fields=["bank_id", "account_number"], name="holding_account_unique")]
        # The dashboard's due card (workbench.dashboard.services.card_due): the next maturities and
        # instalments of a bank, read in date order (migration 0020).
        indexes = [
            models.Index(fields=["bank_id", "maturity_date"], name="holding_bank_maturity"),
            models.Index(fields=["bank_id", "next_instalment_date"], name="holding_bank_instalment"),
        ]

    def __str__(self):
        return f"{self.account_number} {self.currency} {self.balance}"


class HoldingBalance(models.Model):
    """Daily balance history (the AUM chart). Range-partitioned by month on business_date
    (ocrm.datalife.partitions, migration 0013): the database's primary key is (id, bank_id,
    business_date) - a partitioned table's keys hold its partition key, a distributed one's
    its distribution key (docs/scaling.md). Django still addresses a row by its id alone
    (unique: one sequence), which keeps the admin working."""

    bank_id = models.BigIntegerField()
    customer_id = models.BigIntegerField()
    holding = models.ForeignKey(Holding, on_delete=models.CASCADE, related_name="balances")
    business_date = models.DateField(_("business date"))
    balance = models.DecimalField(_("balance"), **MONEY)
    balance_base = models.DecimalField(_("balance in base currency"), **MONEY)

    class Meta:
        verbose_name = _("daily balance")
        verbose_name_plural = _("daily balances")
        constraints = [models.UniqueConstraint(fields=["bank_id", "holding", "business_date"], name="balance_one_per_day")]
        indexes = [models.Index(fields=["customer_id", "business_date"], name="balance_customer_day")]

    def __str__(self):
        return f"{self.holding_id} {self.business_date} {self.balance}"


class ExternalAsset(models.Model):
    """Assets the customer declares holding with other banks."""

    bank_id = models.BigIntegerField(db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="external_assets")
    institution = models.CharField(_("institution"), max_length=200)
    asset_type = models.CharField(_("type"), max_length=20, choices=Product.Type.choices)
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("amount"), **MONEY)
    as_of = models.DateField(_("as of"))

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("asset with another bank")
        verbose_name_plural = _("assets with other banks")

    def __str__(self):
        return f"{self.institution} {self.currency} {self.amount}"


class Transaction(models.Model):
    """A posted transaction. Range-partitioned by month on occurred_at (UTC months;
    ocrm.datalife.partitions, migration 0013): the database's primary key is (id, bank_id,
    occurred_at) and the source key holds occurred_at too (docs/scaling.md). Django still
    addresses a row by its id alone (unique: one sequence), which keeps the admin working."""

    class Direction(models.TextChoices):
        CREDIT = "C", _("Credit")
        DEBIT = "D", _("Debit")

    class Channel(models.TextChoices):
        COUNTER = "counter", _("Counter")
        ATM = "atm", _("ATM")
        ONLINE = "online", _("Online banking")
        MOBILE = "mobile", _("Mobile banking")
        PHONE = "phone", _("Phone banking")
        POS = "pos", _("POS")
        BATCH = "batch", _("Batch / system")

    bank_id = models.BigIntegerField()
    customer_id = models.BigIntegerField()  # denormalised: the 360 page reads by customer
    # db_index=False: txn_holding_time (holding, -occurred_at) serves every look-up by holding.
    holding = models.ForeignKey(
        Holding, on_delete=models.CASCADE, related_name="transactions", db_constraint=False, db_index=False
    )
    occurred_at = models.DateTimeField(_("time"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    direction = models.CharField(_("direction"), max_length=1, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    txn_type = models.CharField(_("type"), max_length=40)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_financial = models.BooleanField(_("financial"), default=True)
    customer_initiated = models.BooleanField(_("customer-initiated"), default=True)
    # Set by the transactions feed (customers.ecif.feeds): the source's own id is the upsert key,
    # and the business date names the delivery that a corrected re-delivery replaces.
    source_system = models.CharField(_("source system"), max_length=30, blank=True, default="", db_default="")
    source_txn_id = models.CharField(_("source transaction id"), max_length=64, blank=True, default="", db_default="")
    business_date = models.DateField(_("business date"), null=True, blank=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        constraints = [
            # occurred_at: a key of a partitioned table holds its partition key. A source's
            # transaction keeps its time when it is delivered again under a later business date.
            models.UniqueConstraint(
                fields=["bank_id", "source_system", "source_txn_id", "occurred_at"],
                condition=~models.Q(source_txn_id=""),
                name="txn_source_key",
            )
        ]
        # Every index here is paid for on each of the millions of rows a nightly feed inserts
        # (customers/feeds): keep only what a page or job reads. A delivery (source, business
        # date) is found through a BRIN index: loads append day by day, so its block ranges are
        # few and it costs nearly nothing to keep up. The 360 page's channel filter reads one
        # customer's rows through txn_customer_time.
        indexes = [
            BrinIndex(fields=["business_date"], name="txn_business_date_brin"),
            models.Index(fields=["customer_id", "-occurred_at"], name="txn_customer_time"),
            models.Index(fields=["holding", "-occurred_at"], name="txn_holding_time"),
        ]

    # The labels of the transaction types the core systems send (txn_type is the source's free
    # text, so not a choices field: a type not listed here is shown as it came).
    TYPE_LABELS = {
        "transfer": pgettext_lazy("transaction type", "Transfer"),
        "salary": pgettext_lazy("transaction type", "Salary"),
        "withdrawal": pgettext_lazy("transaction type", "Withdrawal"),
        "deposit": pgettext_lazy("transaction type", "Deposit"),
        "bill payment": pgettext_lazy("transaction type", "Bill payment"),
        "interest": pgettext_lazy("transaction type", "Interest"),
        "purchase": pgettext_lazy("transaction type", "Purchase"),
        "repayment": pgettext_lazy("transaction type", "Repayment"),
        "refund": pgettext_lazy("transaction type", "Refund"),
        "fee": pgettext_lazy("transaction type", "Fee"),
    }

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d} {self.direction} {self.amount} {self.currency}"

    @property
    def type_label(self):
        return self.label_of_type(self.txn_type)

    @classmethod
    def label_of_type(cls, txn_type):
        return cls.TYPE_LABELS.get(txn_type.strip().lower(), txn_type)


class ServiceContact(models.Model):
    """Contact history: every conversation anyone at the bank had with the customer."""

    class Role(models.TextChoices):
        MANAGER = "manager", _("Customer manager")
        CALL_CENTRE = "call_centre", _("Call-centre agent")
        COLLECTOR = "collector", _("Collector")
        TELLER = "teller", _("Teller")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        VISIT = "visit", _("Visit")
        BRANCH = "branch", _("At the branch")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        MESSAGING = "messaging", _("Messaging app")
        VIDEO = "video", _("Video call")

    bank_id = models.BigIntegerField(db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="service_contacts")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.MANAGER)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    subject = models.CharField(_("subject"), max_length=200)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    next_action = models.CharField(_("next action"), max_length=200, blank=True)
    next_action_date = models.DateField(_("next action date"), null=True, blank=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("service contact")
        verbose_name_plural = _("service contacts")
        indexes = [models.Index(fields=["customer", "-occurred_at"], name="contact_customer_time")]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d} {self.subject}"


def document_path(instance, filename):
    # Never the customer's name or the original file name in the path: both are PII.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"customer-documents/{instance.bank_id}/{uuid.uuid4().hex}.{extension}"


class CustomerDocument(models.Model):
    class Type(models.TextChoices):
        ID_SCAN = "id_scan", _("ID scan")
        CONTRACT = "contract", _("Contract")
        STATEMENT = "statement", _("Statement")
        PHOTO = "photo", _("Photo")
        OTHER = "other", _("Other")

    bank_id = models.BigIntegerField(db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="documents")
    doc_type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    file = models.FileField(_("file"), upload_to=document_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer document")
        verbose_name_plural = _("customer documents")

    def __str__(self):
        return f"{self.get_doc_type_display()} {self.original_name}"


class CustomerNote(models.Model):
    bank_id = models.BigIntegerField(db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    text = models.TextField(_("note"))

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at"]

    def __str__(self):
        return self.text[:50]


class Tag(models.Model):
    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("name"), max_length=50)
    colour = models.CharField(_("colour"), max_length=20, default="secondary")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["bank", "name"], name="tag_unique_per_bank")]

    def __str__(self):
        return self.name


class CustomerTag(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "tag"], name="customertag_unique")]

    def __str__(self):
        return f"{self.customer_id}:{self.tag_id}"


class CustomerGroup(models.Model):
    """A static list of customers, or a dynamic group: a saved filter of the list page."""

    class Kind(models.TextChoices):
        STATIC = "static", _("Static list")
        DYNAMIC = "dynamic", _("Dynamic (saved filter)")

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="customer_groups")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STATIC)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="customer_groups"
    )
    filter_query = models.TextField(_("saved filter"), blank=True)  # the list page's query string
    members = models.ManyToManyField(Customer, related_name="groups", blank=True, verbose_name=_("members"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        ordering = ["name"]

    def __str__(self):
        return self.name
