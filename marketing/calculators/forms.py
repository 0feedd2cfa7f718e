"""The calculators' forms: ranges checked with a message naming the field."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.calculators import formulas


def amount_field(label, min_value="0.01", max_value="1000000000", required=True):
    return forms.DecimalField(
        label=label,
        min_value=Decimal(min_value),
        max_value=Decimal(max_value),
        max_digits=14,
        decimal_places=2,
        required=required,
    )


def rate_field(label, max_value="36", required=True):
    return forms.DecimalField(
        label=label, min_value=Decimal("0"), max_value=Decimal(max_value), max_digits=7, decimal_places=4, required=required
    )


DAY_COUNT_CHOICES = [
    (formulas.ACT_365F, _("ACT/365F (actual days / 365)")),
    (formulas.ACT_360, _("ACT/360 (actual days / 360)")),
    (formulas.THIRTY_360, _("30/360 (30-day months)")),
]


class DepositForm(forms.Form):
    principal = amount_field(_("Principal"))
    annual_rate = rate_field(_("Annual rate (%)"))
    start = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=120)
    compound = forms.BooleanField(label=_("Roll over every year (compound)"), required=False)
    day_count = forms.ChoiceField(label=_("Day count"), choices=DAY_COUNT_CHOICES, initial=formulas.ACT_365F)
    demand_rate = rate_field(_("Demand rate (%)"), required=False)
    withdraw_on = forms.DateField(
        label=_("Early withdrawal date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, withdraw, term = data.get("start"), data.get("withdraw_on"), data.get("term_months")
        if start and withdraw and term:
            if not start <= withdraw < formulas.add_months(start, term):
                self.add_error("withdraw_on", _("The early withdrawal date must be between the start date and maturity."))
            if data.get("demand_rate") is None:
                self.add_error("demand_rate", _("Enter the demand rate to compute an early withdrawal."))
        return data


class LoanForm(forms.Form):
    amount = amount_field(_("Loan amount"), min_value="100")
    annual_rate = rate_field(_("Annual rate (%)"))
    months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=360)
    method = forms.ChoiceField(
        label=_("Repayment method"),
        choices=[
            (formulas.EQUAL_INSTALMENT, _("Equal instalments (等额本息)")),
            (formulas.EQUAL_PRINCIPAL, _("Equal principal (等额本金)")),
        ],
    )
    first_due = forms.DateField(label=_("First due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class RegularInvestmentForm(forms.Form):
    monthly_amount = amount_field(_("Monthly amount"), min_value="1", max_value="10000000")
    annual_return = rate_field(_("Assumed annual return (%)"), max_value="30")
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=600)


class GoalForm(forms.Form):
    kind = forms.ChoiceField(label=_("Goal"), choices=[("education", _("Education")), ("retirement", _("Retirement"))])
    cost_today = amount_field(_("Cost today (education) or monthly spending today (retirement)"))
    years_until = forms.IntegerField(label=_("Years until the goal"), min_value=1, max_value=50)
    years_in_retirement = forms.IntegerField(label=_("Years in retirement"), min_value=1, max_value=50, required=False)
    inflation = rate_field(_("Inflation (%)"), max_value="20")
    annual_return = rate_field(_("Assumed annual return (%)"), max_value="30")
    current_savings = amount_field(_("Current savings"), min_value="0", required=False)

    def clean(self):
        data = super().clean()
        if data.get("kind") == "retirement" and not data.get("years_in_retirement"):
            self.add_error("years_in_retirement", _("Enter the years in retirement."))
        return data
