"""The rule form (the rule and its share rows, validated as a whole by the service) and the
simulation form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crossborder.profitsharing.models import ProfitShareRule, Side
from ocrm.widgets import DateInput
from sysadmin.org.models import Staff

SHARE_ROWS = 4


class RuleForm(forms.ModelForm):
    class Meta:
        model = ProfitShareRule
        fields = ("name", "revenue_type", "fee_type", "effective_from", "effective_to", "priority")
        widgets = {"effective_from": DateInput(), "effective_to": DateInput()}


class ShareForm(forms.Form):
    side = forms.ChoiceField(label=_("side"), choices=[("", "---------"), *Side.choices], required=False)
    percentage = forms.DecimalField(label=_("percentage"), required=False, max_digits=7, decimal_places=4)
    fixed_amount = forms.DecimalField(label=_("fixed amount"), required=False, min_value=0, max_digits=16, decimal_places=2)
    manager = forms.ModelChoiceField(label=_("manager"), queryset=Staff.objects.none(), required=False)

    def __init__(self, *args, bank_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = Staff.objects.filter(bank_id=bank_id, is_active=True).order_by("username")
        self.fields["manager"].label_from_instance = lambda staff: staff.get_full_name() or staff.username

    def is_blank(self):
        data = self.cleaned_data
        return not data.get("side") and data.get("percentage") is None and data.get("fixed_amount") is None

    def as_share(self):
        data = self.cleaned_data
        fixed = data.get("fixed_amount")
        return {
            "side": data.get("side") or "",
            "percentage": data.get("percentage"),
            "fixed_amount_minor": None if fixed is None else int(round(fixed * 100)),
            "manager": data.get("manager"),
        }


ShareFormSet = forms.formset_factory(ShareForm, extra=0, min_num=SHARE_ROWS, max_num=SHARE_ROWS, validate_max=True)


def share_initial(rule):
    rows = (
        [
            {
                "side": share.side,
                "percentage": share.percentage,
                "fixed_amount": None if share.fixed_amount_minor is None else share.fixed_amount_minor / 100,
                "manager": share.manager_id,
            }
            for share in rule.shares.order_by("position")
        ]
        if rule and rule.pk
        else [{"side": Side.ORIGINATING}, {"side": Side.SERVICING}]
    )
    return rows[:SHARE_ROWS]


class SimulationForm(forms.Form):
    amount = forms.DecimalField(
        label=_("amount"),
        required=False,
        max_digits=16,
        decimal_places=2,
        help_text=_("One revenue to split (negative: a reversal)."),
    )
    period = forms.DateField(
        label=_("month"), required=False, widget=DateInput(), help_text=_("Any day of the month whose revenue to split.")
    )


class FeedUploadForm(forms.Form):
    file = forms.FileField(
        label=_("revenue feed file"),
        help_text=_("CSV or XLSX, one row per revenue event; columns by English key or Chinese name (see the column list)."),
        max_length=200,
    )
