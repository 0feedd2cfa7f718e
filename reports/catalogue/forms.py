"""The report pages' filters and the subscription form. Shapes and ranges only: whether a branch
or a manager is within the reader's scope is the engine's (reports.catalogue.services)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateInput
from reports.catalogue import services
from reports.catalogue.definitions import REPORTS
from reports.catalogue.models import ReportSubscription

CURRENCY = re.compile(r"^[A-Za-z]{3}$")


class FilterForm(forms.Form):
    date = forms.DateField(label=_("Business date"), required=False, widget=DateInput)
    compare = forms.DateField(label=_("Compare with"), required=False, widget=DateInput)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    branch = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    exact = forms.BooleanField(required=False, widget=forms.HiddenInput)
    manager = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    product = forms.TypedChoiceField(label=_("Product"), required=False, coerce=int, empty_value=None)
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)
    by = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[(services.BY_BRANCH, "branch"), (services.BY_MANAGER, "manager"), (services.BY_CUSTOMER, "customer")],
    )
    dim = forms.ChoiceField(
        label=_("Break down by"),
        required=False,
        choices=[("stage", _("Lifecycle stage")), ("tier", _("Tier")), ("star", _("Stars"))],
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=100000, widget=forms.HiddenInput)

    def __init__(self, *args, report=None, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", _("All products")), *products]
        if report is None or not report.uses_product:
            del self.fields["product"]
            del self.fields["currency"]
        if report is None or report.key != "customers":
            del self.fields["dim"]
        if report is not None and not (report.uses_range or report.key == "balances"):
            del self.fields["date_from"]
        for field in self.visible_fields():
            css = "form-select form-select-sm" if isinstance(field.field.widget, forms.Select) else "form-control form-control-sm"
            field.field.widget.attrs.setdefault("class", css)

    def clean_currency(self):
        value = (self.cleaned_data.get("currency") or "").strip()
        if value and not CURRENCY.match(value):
            raise ValidationError(_("A currency is three letters, such as CNY."))
        return value.upper()

    def clean(self):
        cleaned = super().clean()
        date, compare = cleaned.get("date"), cleaned.get("compare")
        if date and compare and compare == date:
            self.add_error("compare", _("Choose another date than the business date to compare with."))
        date_from = cleaned.get("date_from")
        if date and date_from and date_from > date:
            self.add_error("date_from", _("The start of the range is after the business date."))
        return cleaned


class SubscriptionForm(forms.ModelForm):
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)
    report = forms.CharField(widget=forms.HiddenInput, max_length=40)

    class Meta:
        model = ReportSubscription
        fields = ["report", "query", "frequency", "local_time", "weekday", "day_of_month", "skip_if_empty", "by_email"]
        widgets = {"local_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.visible_fields():
            widget = field.field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input ms-2")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def clean_report(self):
        value = self.cleaned_data["report"]
        if value not in REPORTS:
            raise ValidationError(_("Choose a report of the catalogue."))
        return value

    def clean_day_of_month(self):
        value = self.cleaned_data.get("day_of_month")
        if value is not None and not 1 <= value <= 31:
            raise ValidationError(_("A day of the month is between 1 and 31."))
        return value

    def clean(self):
        cleaned = super().clean()
        frequency = cleaned.get("frequency")
        if frequency == ReportSubscription.Frequency.WEEKLY and cleaned.get("weekday") is None:
            self.add_error("weekday", _("Choose the weekday of a weekly delivery."))
        if frequency == ReportSubscription.Frequency.MONTHLY and not cleaned.get("day_of_month"):
            self.add_error("day_of_month", _("Choose the day of the month of a monthly delivery."))
        return cleaned
