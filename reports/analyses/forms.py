"""The analyses' filters: the business date (and a second one to compare with), the branch
subtree (a code, looked up among the user's branches in the view: outside them is a 404), and
what a page lists."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateInput
from reports.analyses.pareto import CUTS


class AnalysisFilterForm(forms.Form):
    date = forms.DateField(label=_("business date"), required=False, widget=DateInput)
    branch = forms.CharField(
        label=_("Within branch"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": _("branch code"), "autocomplete": "off"}),
    )


class CompareFilterForm(AnalysisFilterForm):
    compare = forms.DateField(label=_("compare with"), required=False, widget=DateInput)

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("compare") and data["compare"] >= data["date"]:
            self.add_error("compare", _("Choose a date before the business date."))
        return data


class TopCustomersForm(AnalysisFilterForm):
    pct = forms.TypedChoiceField(
        label=_("top customers"),
        choices=[(pct, f"{pct} %") for pct in (*CUTS, 50, 100)],
        coerce=int,
        required=False,
        empty_value=CUTS[-1],
    )
    measure = forms.ChoiceField(
        label=_("ranked by"), choices=[("aum", _("AUM")), ("contribution", _("contribution"))], required=False
    )


class SegmentGroupForm(forms.Form):
    segment = forms.CharField(max_length=40)
    name = forms.CharField(label=_("group name"), max_length=100)
    branch = forms.CharField(required=False, max_length=30)
