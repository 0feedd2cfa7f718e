from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _


class StaffAuthenticationForm(auth_forms.AuthenticationForm):
    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "locked": _(
            "This account is locked after too many failed log-ins. Ask your system administrator to unlock it."
        ),
        "inactive_status": _("This account is not active (on leave or left the bank)."),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is not None and user.locked_at is not None:
                # Count the attempt (audit) but never reveal whether the password was right.
                from django.contrib.auth.signals import user_login_failed

                user_login_failed.send(sender=__name__, credentials={"username": username}, request=self.request)
                raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            if username:
                user = get_user_model().objects.filter(username=username).first()
                if user is not None and user.locked_at is not None:
                    raise forms.ValidationError(self.error_messages["locked"], code="locked") from None
            raise


class StaffPasswordChangeForm(auth_forms.PasswordChangeForm):
    def save(self, commit=True):  # the view saves through the service
        return self.user
