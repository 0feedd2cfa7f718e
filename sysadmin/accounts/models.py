"""Password history, failed log-ins (the lock-out) and the recovery codes of the second factor."""

import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from sysadmin.org.models import Staff


class PasswordHistory(models.Model):
    """Hashes of a user's previous passwords, to refuse re-use of the last N."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("password history entry")
        verbose_name_plural = _("password history")

    def __str__(self):
        return f"{self.staff_id} {self.created_at:%Y-%m-%d}"


class LoginFailure(models.Model):
    """One failed log-in: the user name typed and the address it came from. The lock-out
    (sysadmin.accounts.lockout) counts these rows inside the cooling-off window, so a pause
    ends by itself and an attacker's address pauses only that address."""

    username = models.CharField(_("user name"), max_length=150)
    ip = models.CharField(_("IP address"), max_length=64)
    bank_id = models.BigIntegerField(_("bank"), null=True, blank=True)  # the account's bank, if the name exists
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("failed log-in")
        verbose_name_plural = _("failed log-ins")
        indexes = [
            models.Index(fields=["username", "ip", "at"], name="loginfailure_pair_at"),
            models.Index(fields=["ip", "at"], name="loginfailure_ip_at"),
            models.Index(fields=["bank_id", "at"], name="loginfailure_bank_at"),
            models.Index(fields=["at"], name="loginfailure_at"),  # forgetting old rows
        ]

    def __str__(self):
        return f"{self.username} {self.ip} {self.at:%Y-%m-%d %H:%M}"


class RecoveryCodeDevice(Device):
    """A staff member's set of one-time recovery codes, a django-otp device so that a code
    verifies the session like a TOTP code does. The codes are kept as SHA-256 hashes only
    (80 random bits each: a hash cannot be reversed by trying them)."""

    class Meta:
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")
        permissions = [("reset_staff_mfa", "Reset a staff member's second factor")]

    def verify_token(self, token):
        digest = hash_recovery_code(token)
        if not digest:
            return False
        # One UPDATE: a code used twice at the same moment still works only once.
        return self.codes.filter(code_hash=digest, used_at__isnull=True).update(used_at=timezone.now()) == 1

    def remaining(self):
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self):
        return f"{self.device_id} {'used' if self.used_at else 'unused'}"


def hash_recovery_code(code):
    """The stored form of a recovery code: spaces, dashes and case do not matter."""
    normalised = "".join(ch for ch in str(code or "").upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest() if normalised else ""
