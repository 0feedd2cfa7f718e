"""Password policy: character classes, no reuse of recent passwords, history and expiry."""

import datetime

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ocrm import parameters
from sysadmin.accounts.models import PasswordHistory


class CharacterClassValidator:
    """At least three of: lower case, upper case, digit, other character."""

    def validate(self, password, user=None):
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                _("The password must mix at least three of: lower case, upper case, digits, symbols."),
                code="password_character_classes",
            )

    def get_help_text(self):
        return _("Mix at least three of: lower case, upper case, digits, symbols.")


class PasswordReuseValidator:
    def __init__(self, history=5):
        self.default_history = history

    def _history(self, user):
        try:
            return parameters.get("password.history", getattr(user, "bank_id", None))
        except Exception:  # parameters unavailable (e.g. before migrate): use the default
            return self.default_history

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        count = self._history(user)
        if count <= 0:
            return
        if any(check_password(password, h) for h in recent_password_hashes(user, count)):
            raise ValidationError(
                _("You used this password recently; choose one you have not used in your last %(n)d passwords.") % {"n": count},
                code="password_reused",
            )

    def password_changed(self, password, user=None):
        if user is None or user.pk is None:
            return

        PasswordHistory.objects.create(staff=user, password=user.password)
        keep = max(self._history(user), 1)
        stale = user.password_history.values_list("id", flat=True)[keep:]
        PasswordHistory.objects.filter(id__in=list(stale)).delete()
        # Only the change time here: who changed it (the user, or an administrator who
        # leaves must_change_password set) is decided by the view that changed it.
        now = timezone.now()
        type(user).objects.filter(pk=user.pk).update(password_changed_at=now)
        user.password_changed_at = now

    def get_help_text(self):
        return _("You cannot reuse one of your recent passwords.")


def recent_password_hashes(user, count):
    """Hashes of the user's last `count` passwords, the current one first.

    The history row of the current password is written when it is set, so the
    history alone normally holds them all; the current hash is added for accounts
    whose password was written without passing through Staff.save() (e.g. imports)."""
    hashes = list(user.password_history.values_list("password", flat=True)[:count])
    if user.password and user.password not in hashes:
        hashes = [user.password, *hashes[: count - 1]]
    return [h for h in hashes if h]


def password_expired(user, now=None):
    days = parameters.get("password.expiry_days", user.bank_id)
    if not days:
        return False
    if user.password_changed_at is None:
        return True
    return (now or timezone.now()) - user.password_changed_at > datetime.timedelta(days=days)
