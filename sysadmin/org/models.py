"""Organisation: banks (tenants), the branch tree, staff (the user model), holidays,
bank codes, system parameters and password history."""

import pytz
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from ocrm.scoping import ScopedQuerySet

TIMEZONE_CHOICES = [(tz, tz) for tz in pytz.common_timezones]


WEEKDAYS = "1234567"  # ISO weekday numbers, Monday = 1


def validate_timezone(value):
    if value not in pytz.all_timezones_set:
        raise ValidationError(_("%(value)s is not a time zone of the tz database."), params={"value": value})


def validate_working_week(value):
    if not value or any(ch not in WEEKDAYS for ch in value) or len(set(value)) != len(value):
        raise ValidationError(_("Working week must list ISO weekdays 1-7 (Monday=1), e.g. 12345."))


class Bank(models.Model):
    """The tenant. Every business row carries bank_id directly (DESIGN §6)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name_local = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    base_currency = models.CharField(_("base currency"), max_length=3, default="CNY")
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    head_office_country = CountryField(_("head-office country"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bank")
        verbose_name_plural = _("banks")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name_local}"

    def clean(self):
        if self.base_currency and (len(self.base_currency) != 3 or not self.base_currency.isalpha()):
            raise ValidationError({"base_currency": _("Use a three-letter ISO 4217 code.")})
        self.base_currency = self.base_currency.upper()
        if self.bic and len(self.bic) not in (8, 11):
            raise ValidationError({"bic": _("A BIC has 8 or 11 characters.")})


class BranchQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = ""  # the branch itself

    def subtree(self, branch):
        return self.filter(path__startswith=branch.path)


class Branch(models.Model):
    class Level(models.TextChoices):
        HEAD_OFFICE = "head_office", _("Head office")
        REGION = "region", _("Region / country")
        BRANCH = "branch", _("Branch")
        SUB_BRANCH = "sub_branch", _("Sub-branch")

    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="branches")
    code = models.CharField(_("code"), max_length=30)
    name_local = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent branch"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, default=Level.BRANCH)
    # Materialised path of ids, "/1/4/17/": a subtree is one indexed prefix filter.
    path = models.CharField(_("path"), max_length=500, editable=False, db_index=True)
    country = CountryField(_("country"))
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])
    address = models.CharField(_("address"), max_length=300, blank=True)
    working_week = models.CharField(
        _("working week"),
        max_length=7,
        default="12345",
        validators=[validate_working_week],
        help_text=_("ISO weekdays the branch works, Monday=1: 12345 = Monday to Friday."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["bank", "path"]
        constraints = [models.UniqueConstraint(fields=["bank", "code"], name="branch_code_unique_per_bank")]
        indexes = [
            models.Index(fields=["path"], name="branch_path_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return f"{self.code} {self.name_local}"

    def save(self, *args, **kwargs):
        old_path = self.path
        if not self.pk:
            super().save(*args, **kwargs)
            kwargs = {k: v for k, v in kwargs.items() if k not in ("force_insert",)}
        parent_path = self.parent.path if self.parent_id else "/"
        self.path = f"{parent_path}{self.pk}/"
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # Moving a branch moves its whole subtree: one set-based UPDATE.
            Branch.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                path=models.functions.Concat(models.Value(self.path), models.functions.Substr("path", len(old_path) + 1))
            )

    @property
    def depth(self):
        return self.path.count("/") - 1 if self.path else 0

    @property
    def tzinfo(self):
        return pytz.timezone(self.timezone)

    def clean(self):
        errors = {}
        if self.parent_id:
            if self.parent.bank_id != self.bank_id:
                errors["parent"] = _("The parent branch belongs to another bank.")
            elif self.pk and (self.parent_id == self.pk or f"/{self.pk}/" in (self.parent.path or "")):
                errors["parent"] = _("A branch cannot sit below itself (cycle in the branch tree).")
        if self.country and self.timezone and self.timezone in pytz.all_timezones_set:
            allowed = pytz.country_timezones.get(str(self.country), [])
            if allowed and self.timezone not in allowed:
                errors["timezone"] = _("%(tz)s is not a time zone of %(country)s.") % {
                    "tz": self.timezone,
                    "country": self.country,
                }
        if errors:
            raise ValidationError(errors)

    def is_working_day(self, day):
        if str(day.isoweekday()) not in self.working_week:
            return False
        return (
            not Holiday.objects.filter(bank_id=self.bank_id, date=day)
            .filter(models.Q(branch=self) | models.Q(branch__isnull=True, country=self.country))
            .exists()
        )

    def local_now(self):
        return timezone.now().astimezone(self.tzinfo)


class Holiday(models.Model):
    """A non-working day for a country (all the bank's branches there) or one branch."""

    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.CASCADE, related_name="holidays")
    country = CountryField(_("country"))
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), null=True, blank=True, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["bank", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "country", "date"],
                condition=models.Q(branch__isnull=True),
                name="holiday_unique_country_day",
            ),
            models.UniqueConstraint(
                fields=["bank", "branch", "date"],
                condition=models.Q(branch__isnull=False),
                name="holiday_unique_branch_day",
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.country} {self.name}"


class BankCode(models.Model):
    """Reference list of banks the tenant deals with (clearing code, BIC)."""

    bank = models.ForeignKey(Bank, verbose_name=_("bank"), on_delete=models.CASCADE, related_name="bank_codes")
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    country = CountryField(_("country"))

    class Meta:
        verbose_name = _("bank code")
        verbose_name_plural = _("bank codes")
        ordering = ["bank", "code"]
        constraints = [models.UniqueConstraint(fields=["bank", "code"], name="bankcode_unique_per_bank")]

    def __str__(self):
        return f"{self.code} {self.name}"


class StaffQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "branch"


class StaffManager(UserManager.from_queryset(StaffQuerySet)):
    pass


class Staff(AbstractUser):
    """The user model: every person who logs in works for one bank and one branch."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ON_LEAVE = "on_leave", _("On leave")
        LEFT = "left", _("Left")

    employee_no = models.CharField(_("employee number"), max_length=30, blank=True)
    name_local = models.CharField(_("name"), max_length=100, blank=True)
    bank = models.ForeignKey(Bank, verbose_name=_("bank"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text=_("Leave empty to use the branch's time zone."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    password_changed_at = models.DateTimeField(_("password last changed"), null=True, blank=True)
    must_change_password = models.BooleanField(_("must change password at next log-in"), default=True)
    failed_login_count = models.PositiveIntegerField(_("failed log-ins in a row"), default=0)
    locked_at = models.DateTimeField(_("locked since"), null=True, blank=True)
    # The person's own settings in one place, by key (workbench shortcuts, list columns, default
    # filters, ...): read and written through ocrm.preferences, never by hand.
    preferences = models.JSONField(_("preferences"), default=dict, blank=True, editable=False)

    objects = StaffManager()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "employee_no"], condition=~models.Q(employee_no=""), name="staff_employee_no_unique"
            )
        ]
        permissions = [
            ("scope_bank", "Data scope: the whole bank"),
            ("scope_subtree", "Data scope: own branch and the branches below it"),
            ("scope_own", "Data scope: own customers and those shared with the user"),
            ("unlock_staff", "Unlock locked staff accounts"),
            ("view_audit", "Search the audit log"),
            ("run_imports", "Upload and apply organisation-data imports"),
            ("view_jobs", "See batch job runs"),
        ]

    def __str__(self):
        return f"{self.username} {self.name_local}".strip()

    def clean(self):
        super().clean()
        if self.branch_id and self.bank_id and self.branch.bank_id != self.bank_id:
            raise ValidationError({"branch": _("The branch belongs to another bank.")})
        if self.branch_id and not self.bank_id:
            self.bank_id = self.branch.bank_id

    @property
    def display_name(self):
        return self.name_local or self.get_full_name() or self.username

    @property
    def effective_timezone(self):
        if self.time_zone:
            return self.time_zone
        if self.branch_id:
            return self.branch.timezone
        return settings.TIME_ZONE

    @property
    def is_locked(self):
        return self.locked_at is not None

    def password_age(self, now=None):
        if not self.password_changed_at:
            return None
        return (now or timezone.now()) - self.password_changed_at
