"""Input checks of the reminder actions (the service decides what depends on data)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateTimeInput


class SnoozeForm(forms.Form):
    until = forms.DateTimeField(label=_("until (your local time)"), widget=DateTimeInput)
    reason = forms.CharField(label=_("reason"), max_length=300)


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)
