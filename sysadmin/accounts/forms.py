"""Log-in and password forms, with the lock-out messages."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm, AdminPasswordChangeForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext_lazy as _

from ocrm.middleware import current_request
from sysadmin.accounts.services import change_own_password, save_password_set_by_admin


class LockoutMessagesMixin:
    """Clear messages for a locked account and for staff who may no longer log in.

    A locked account is refused before its password is checked, so a locked account
    cannot be used to test passwords. The status message (on leave / left) is only
    shown to someone who typed the right password, so it reveals nothing to a guesser."""

    lockout_messages = {
        "locked": _("This account is locked after too many failed log-ins. Ask your system administrator to unlock it."),
        "inactive_status": _("This account is not active (on leave or left the bank)."),
    }

    def _staff(self, username):
        return get_user_model().objects.filter(username=username).first() if username else None

    def clean(self):
        username = self.cleaned_data.get("username")
        user = self._staff(username)
        if user is not None and user.locked_at is not None:
            # Audited as a failed attempt; the password is not even looked at.
            user_login_failed.send(sender=__name__, credentials={"username": username}, request=self.request)
            raise forms.ValidationError(self.lockout_messages["locked"], code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            user = self._staff(username)
            if user is not None and user.locked_at is not None:  # this very attempt locked it
                raise forms.ValidationError(self.lockout_messages["locked"], code="locked") from None
            password = self.cleaned_data.get("password")
            if user is not None and user.status != user.Status.ACTIVE and password and user.check_password(password):
                raise forms.ValidationError(self.lockout_messages["inactive_status"], code="inactive_status") from None
            raise


class StaffAuthenticationForm(LockoutMessagesMixin, auth_forms.AuthenticationForm):
    pass


class StaffAdminAuthenticationForm(LockoutMessagesMixin, AdminAuthenticationForm):
    """Django admin's log-in form with the same lock-out messages."""


class StaffPasswordChangeForm(auth_forms.PasswordChangeForm):
    def save(self, commit=True):  # the view saves through the service
        return self.user


class StaffAdminPasswordChangeForm(AdminPasswordChangeForm):
    """Django admin's "change my password" page, saved like the OCRM's own page: the
    must-change flag is cleared and the change is audited."""

    def save(self, commit=True):
        change_own_password(self.user, self.cleaned_data["new_password1"])
        return self.user


class StaffAdminSetPasswordForm(auth_forms.AdminPasswordChangeForm):
    """An administrator sets someone's password in Django admin: unless it is their own,
    the owner must choose a new one at the next log-in (services.save_password_set_by_admin)."""

    def save(self, commit=True):
        user = super().save(commit=False)
        request = current_request()
        actor = getattr(request, "user", None)
        return save_password_set_by_admin(user, actor if actor is not None and actor.is_authenticated else None)
