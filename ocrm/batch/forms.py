"""The "run now" form of the jobs page, and its date input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ocrm.batch import jobs
from ocrm.tenants import tenant_model


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class JobStartForm(forms.Form):
    job = forms.ChoiceField(label=_("job"))
    business_date = forms.DateField(label=_("business date"), widget=DateInput)
    bank = forms.ModelChoiceField(
        label=_("bank"), queryset=tenant_model().objects.all(), required=False, empty_label=_("All banks")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["job"].choices = [(spec.name, spec.label) for spec in jobs.JOBS.values() if spec.startable]
        # The last business date that has ended: the nightly jobs refuse a day still running.
        self.fields["business_date"].initial = jobs.last_ended_business_date(user.bank_id)
        self.fields["business_date"].help_text = _("The day whose data the job works on; by default the last day that has ended.")
        if not user.is_superuser:  # a bank's administrator runs jobs for that bank only
            del self.fields["bank"]

    def clean(self):
        cleaned = super().clean()
        value = cleaned.get("business_date")
        bank = cleaned.get("bank") if "bank" in self.fields else None
        bank_id = bank.pk if bank else (None if self.user.is_superuser else self.user.bank_id)
        # "Today" is the bank's own (its head office's); for all banks, the latest of theirs.
        if value and value > jobs.latest_business_date(bank_id):
            self.add_error("business_date", _("The business date cannot lie in the future."))
        return cleaned


class ScheduleSwitchForm(forms.Form):
    """Switch one job's scheduled runs on or off for the user's bank (the Schedules page)."""

    job = forms.ChoiceField(label=_("job"))
    enabled = forms.TypedChoiceField(
        label=_("runs on schedule"), choices=[("1", _("on")), ("0", _("off"))], coerce=lambda v: v == "1"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job"].choices = [(spec.name, spec.label) for spec in jobs.JOBS.values() if spec.startable]
