"""The personal details form (个人信息修改): checked as the staff page checks the same fields."""

import pytz
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sysadmin.org.forms import StaffForm, TimeZoneChoiceField


class PersonalDetailsForm(forms.Form):
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("email address"), required=False)
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)
    time_zone = TimeZoneChoiceField(
        label=_("time zone"), required=False, help_text=_("Leave empty to use the branch's time zone.")
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = staff
        self.fields["time_zone"].choices = [("", _("— the branch's time zone —")), *[(z, z) for z in pytz.common_timezones]]

    def clean_phone(self):
        phone = (self.cleaned_data.get("phone") or "").strip()
        if not phone:
            return ""
        # The staff page's rule: a national number is read in the person's branch's country.
        return StaffForm._normalised_phone(self, phone, self.staff.branch)
