"""Forms of the opportunity pages (marketing.pipeline.services checks the rest)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.master.models import Product
from ocrm.widgets import DateInput


class OpportunityForm(forms.Form):
    customer = forms.CharField(label=_("customer number"), max_length=32)
    title = forms.CharField(label=_("title"), max_length=200)
    product = forms.ModelChoiceField(label=_("product"), queryset=Product.objects.none(), required=False)
    amount = forms.DecimalField(label=_("amount"), max_digits=18, decimal_places=2, min_value=0.01)
    currency = forms.CharField(label=_("currency"), max_length=3, min_length=3)
    expected_close = forms.DateField(label=_("expected close date"), widget=DateInput())
    next_step = forms.CharField(label=_("next step"), max_length=200, required=False)

    def __init__(self, *args, bank_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(bank_id=bank_id, is_active=True).order_by("code")


class MoveForm(forms.Form):
    stage = forms.IntegerField(min_value=1)
    version = forms.IntegerField(min_value=1, required=False)
    reason = forms.CharField(max_length=200, required=False)
