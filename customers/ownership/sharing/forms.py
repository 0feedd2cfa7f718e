"""The share form (colleague, edit right, expiry); services.share_customer checks the rest."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ocrm.widgets import DateInput


class ShareForm(forms.Form):
    shared_with = forms.CharField(
        label=gettext_lazy("Colleague (user name)"),
        max_length=150,
        help_text=gettext_lazy("Type a user name, a name or an employee number and pick from the suggestions."),
        widget=forms.TextInput(attrs={"list": "colleague-suggestions", "autocomplete": "off"}),
    )
    can_edit = forms.BooleanField(label=gettext_lazy("May also edit the customer"), required=False)
    expires_on = forms.DateField(label=gettext_lazy("Shared until (end of the day)"), widget=DateInput())
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def expires_at(self):
        """The end of the chosen day in the user's time zone (the page shows their zone)."""
        day = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))
