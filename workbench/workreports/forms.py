"""Forms of the work report pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateInput
from workbench.workreports.models import WorkReport


class OpenReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=WorkReport.Kind.choices)
    day = forms.DateField(label=_("day"), required=False, widget=DateInput())


class ReportForm(forms.Form):
    summary = forms.CharField(label=_("work done"), widget=forms.Textarea(attrs={"rows": 10}), required=False, max_length=20000)
    plan = forms.CharField(
        label=_("plan for the next period"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )


class CommentForm(forms.Form):
    text = forms.CharField(label=_("comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class WeekForm(forms.Form):
    week = forms.DateField(label=_("week of"), required=False, widget=DateInput())
