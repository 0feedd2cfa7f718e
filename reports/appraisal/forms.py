"""Input of the appraisal pages: a scheme with its indicators, a new version, a manager's
target, an adjustment. The services check the whole (weights, bands, overlaps)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ocrm import reporting
from ocrm.widgets import DateInput
from reports.appraisal.models import IndicatorKind, KpiScheme
from sysadmin.org.models import Staff

CATEGORY_CHOICES = [("", "---------"), ("asset", _("Assets")), ("liability", _("Liabilities")), ("fee", _("Fee-based business"))]


def measure_choices():
    return [("", "---------")] + [(m.key, m.label) for m in reporting.measures()]


class SchemeForm(forms.ModelForm):
    class Meta:
        model = KpiScheme
        fields = ["name", "role", "valid_from", "valid_to", "stretch_cap"]
        widgets = {"valid_from": DateInput(), "valid_to": DateInput()}


class IndicatorForm(forms.Form):
    kind = forms.ChoiceField(label=_("indicator"), choices=[("", "---------"), *IndicatorKind.choices], required=False)
    category = forms.ChoiceField(label=_("product category"), choices=CATEGORY_CHOICES, required=False)
    measure = forms.ChoiceField(label=_("measure"), choices=(), required=False)
    weight = forms.DecimalField(label=_("weight"), max_digits=6, decimal_places=2, required=False)
    threshold = forms.DecimalField(label=_("threshold"), max_digits=20, decimal_places=2, required=False)
    target = forms.DecimalField(label=_("target"), max_digits=20, decimal_places=2, required=False)
    stretch = forms.DecimalField(label=_("stretch"), max_digits=20, decimal_places=2, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = measure_choices()

    def is_blank(self):
        return not any(self.cleaned_data.get(name) not in (None, "") for name in self.fields)


IndicatorFormSet = forms.formset_factory(IndicatorForm, extra=3, max_num=30)


class NewVersionForm(forms.Form):
    valid_from = forms.DateField(label=_("valid from"), widget=DateInput())


class ManagerTargetForm(forms.Form):
    indicator = forms.TypedChoiceField(label=_("indicator"), coerce=int, choices=())
    manager = forms.ModelChoiceField(label=_("manager"), queryset=Staff.objects.none())
    valid_from = forms.DateField(label=_("valid from"), widget=DateInput())
    valid_to = forms.DateField(label=_("valid to"), widget=DateInput(), required=False)
    threshold = forms.DecimalField(label=_("threshold"), max_digits=20, decimal_places=2)
    target = forms.DecimalField(label=_("target"), max_digits=20, decimal_places=2)
    stretch = forms.DecimalField(label=_("stretch"), max_digits=20, decimal_places=2)

    def __init__(self, *args, scheme=None, **kwargs):
        super().__init__(*args, **kwargs)
        if scheme is not None:
            self.fields["indicator"].choices = [(i.pk, i.label) for i in scheme.indicators.all()]
            self.fields["manager"].queryset = Staff.objects.filter(
                bank_id=scheme.bank_id, is_active=True, groups__name=scheme.role
            ).order_by("username")
            self.fields["manager"].label_from_instance = lambda staff: staff.display_name


class AdjustmentForm(forms.Form):
    points = forms.DecimalField(label=_("points"), max_digits=8, decimal_places=2)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
