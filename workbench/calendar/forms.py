"""Forms of the calendar pages: shapes and ranges (workbench.calendar.services checks the rest).
Times are read in the viewer's own zone (the active time zone of the request)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateTimeInput
from sysadmin.org.models import Staff
from workbench.calendar.models import Appointment

INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class AppointmentForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    customer = forms.CharField(
        label=_("customer number"), max_length=32, required=False, help_text=_("Leave empty for an internal meeting.")
    )
    start = forms.DateTimeField(
        label=_("starts"), widget=DateTimeInput(), input_formats=INPUT_FORMATS, help_text=_("In your time zone.")
    )
    end = forms.DateTimeField(label=_("ends"), widget=DateTimeInput(), input_formats=INPUT_FORMATS)
    channel = forms.ChoiceField(label=_("channel"), choices=Appointment.Channel.choices, initial=Appointment.Channel.VISIT)
    location = forms.CharField(label=_("location"), max_length=200, required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=_("attendees"), queryset=Staff.objects.none(), required=False, help_text=_("Colleagues of your bank.")
    )
    notes = forms.CharField(label=_("notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Attendees among the bank's active staff (the service checks the bank again).
        self.fields["attendees"].queryset = (
            Staff.objects.filter(bank_id=user.bank_id, is_active=True).exclude(status=Staff.Status.LEFT).order_by("username")
        )
        self.fields["attendees"].widget.attrs["size"] = 6

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The end must come after the start."))
        return data


class MoveForm(forms.Form):
    start = forms.DateTimeField(label=_("new start"), required=False, widget=DateTimeInput(), input_formats=INPUT_FORMATS)
    shift = forms.IntegerField(label=_("shift (minutes)"), required=False, min_value=-60 * 24 * 31, max_value=60 * 24 * 31)

    def clean(self):
        data = super().clean()
        if data.get("start") is None and not data.get("shift"):
            raise forms.ValidationError(_("Give the new start or how far to move it."))
        return data
