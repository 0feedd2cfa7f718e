"""Log-in, second-factor and password forms."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm, AdminPasswordChangeForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext_lazy as _

from ocrm.middleware import client_ip, current_request
from sysadmin.accounts import lockout
from sysadmin.accounts.services import change_own_password, save_password_set_by_admin

# Every failed log-in says this, whatever the cause.
FAILED_LOG_IN = _(
    "The user name or password is not right, or log-in from here is paused after repeated failures. "
    "Try again in a few minutes; if it keeps failing, ask your system administrator."
)


class LockoutMessagesMixin:
    """One message for every failed log-in - unknown name, wrong password, paused, locked - so
    the form tells a guesser nothing about which user names exist (sysadmin.accounts.lockout).

    A paused or locked log-in is refused before the password is checked, so it cannot be used
    to test passwords. Only someone who typed the right password of staff on leave or who left
    is told so: that reveals nothing to a guesser."""

    error_messages = {
        "invalid_login": FAILED_LOG_IN,
        "inactive": FAILED_LOG_IN,
        "inactive_status": _("This account is not active (on leave or left the bank)."),
    }

    def _staff(self, username):
        return get_user_model().objects.filter(username=username).first() if username else None

    def _refuse_unread(self, username, reason):
        """Audited and counted as a failure; the password is not even looked at."""
        user_login_failed.send(sender=__name__, credentials={"username": username, "reason": reason}, request=self.request)
        raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and lockout.is_paused(username, client_ip(self.request)):
            self._refuse_unread(username, "paused")
        user = self._staff(username)
        if user is not None and user.locked_at is not None:
            self._refuse_unread(username, "locked")
        try:
            return super().clean()
        except forms.ValidationError:
            password = self.cleaned_data.get("password")
            if user is not None and user.status != user.Status.ACTIVE and password and user.check_password(password):
                raise forms.ValidationError(self.error_messages["inactive_status"], code="inactive_status") from None
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


class SecondFactorCodeForm(forms.Form):
    """A code from the authenticator app (or, when verifying, a recovery code)."""

    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


class SecondFactorResetForm(forms.Form):
    """An administrator forgets a staff member's authenticator (a lost phone)."""

    staff = forms.ModelChoiceField(label=_("Staff member"), queryset=get_user_model().objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        Staff = get_user_model()
        enrolled = Staff.objects.visible_to(actor).filter(totpdevice__confirmed=True).exclude(pk=actor.pk).distinct()
        if not actor.is_superuser:
            enrolled = enrolled.exclude(is_superuser=True)
        self.fields["staff"].queryset = enrolled.order_by("username")
        self.fields["staff"].label_from_instance = lambda s: f"{s.display_name} ({s.username})"
