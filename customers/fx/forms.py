"""Forms of the rate board: a manual posting and the converter. Shapes and ranges only; the
rules between the figures (buying at or below the middle rate...) are the service's."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy

from customers.fx.services import Channel
from ocrm.widgets import DateTimeInput


def _rate_field(label, required=False):
    return forms.DecimalField(
        label=label, required=required, min_value=Decimal("0.00000001"), max_digits=18, decimal_places=8,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )  # fmt: skip


class PostingForm(forms.Form):
    currency = forms.CharField(
        label=gettext_lazy("Currency"),
        max_length=3,
        min_length=3,
        help_text=gettext_lazy("ISO 4217 code of the foreign currency (USD, HKD...); quoted against the bank's base currency."),
    )
    rate = _rate_field(gettext_lazy("Middle rate"), required=True)
    buy_transfer = _rate_field(gettext_lazy("Transfer buying rate"))
    sell_transfer = _rate_field(gettext_lazy("Transfer selling rate"))
    buy_cash = _rate_field(gettext_lazy("Cash buying rate"))
    sell_cash = _rate_field(gettext_lazy("Cash selling rate"))
    effective_at = forms.DateTimeField(
        label=gettext_lazy("Effective from"),
        required=False,
        widget=DateTimeInput(),
        help_text=gettext_lazy("In your time zone. Leave empty to post when the checker approves."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()

    def quote(self):
        return {
            field: self.cleaned_data.get(field) for field in ("rate", "buy_transfer", "sell_transfer", "buy_cash", "sell_cash")
        }


class ConverterForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), min_value=Decimal("0.01"), max_digits=18, decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )  # fmt: skip
    from_currency = forms.ChoiceField(label=gettext_lazy("From"))
    to_currency = forms.ChoiceField(label=gettext_lazy("To"))
    channel = forms.ChoiceField(
        label=gettext_lazy("Transfer or cash"),
        choices=[(Channel.TRANSFER, gettext_lazy("Transfer (现汇)")), (Channel.CASH, gettext_lazy("Cash (现钞)"))],
        initial=Channel.TRANSFER,
    )

    def __init__(self, *args, currencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(code, code) for code in currencies]
        self.fields["from_currency"].choices = choices
        self.fields["to_currency"].choices = choices
