"""Forms of the product catalog pages: a product's draft version, a bundle with its items and rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.master.models import Customer, Product
from marketing.products.models import BundleRule
from ocrm.widgets import DateInput


def _words(text):
    return [word for word in (part.strip() for part in str(text or "").replace("，", ",").split(",")) if word]


class DraftForm(forms.Form):
    rate = forms.DecimalField(label=_("rate %"), max_digits=7, decimal_places=4, required=False)
    term_months = forms.IntegerField(label=_("term (months)"), min_value=0, required=False)
    min_amount = forms.DecimalField(label=_("minimum amount"), max_digits=18, decimal_places=2, required=False)
    fee = forms.DecimalField(label=_("fee"), max_digits=18, decimal_places=2, required=False)
    risk_level = forms.ChoiceField(label=_("risk level"), choices=[("", "—"), *Customer.Risk.choices], required=False)
    channels = forms.CharField(label=_("channels"), required=False, help_text=_("Separated by commas."))
    sale_start = forms.DateField(label=_("sale start"), required=False, widget=DateInput())
    sale_end = forms.DateField(label=_("sale end"), required=False, widget=DateInput())
    segments = forms.CharField(label=_("eligible segments"), required=False, help_text=_("Separated by commas."))

    @classmethod
    def initial_from(cls, version):
        if version is None:
            return {}
        values = {name: getattr(version, name) for name in cls.base_fields}
        values["channels"] = ", ".join(version.channels or [])
        values["segments"] = ", ".join(version.segments or [])
        return values

    def params(self):
        data = dict(self.cleaned_data)
        data["channels"] = _words(data.get("channels"))
        data["segments"] = _words(data.get("segments"))
        data["risk_level"] = data.get("risk_level") or ""
        return data


class BundleForm(forms.Form):
    code = forms.CharField(label=_("code"), max_length=30)
    name_local = forms.CharField(label=_("name"), max_length=200)
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    scenario = forms.CharField(label=_("scenario"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    products = forms.ModelMultipleChoiceField(label=_("products"), queryset=Product.objects.none(), required=False)
    services = forms.CharField(
        label=_("services"), required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=_("One a line.")
    )
    rules = forms.CharField(label=_("rules"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, bank_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.filter(bank_id=bank_id, is_active=True).order_by("code")
        kinds = "; ".join(f"{kind} ({label})" for kind, label in BundleRule.Kind.choices)
        self.fields["rules"].help_text = _("One rule a line: the rule and its value, e.g. “min_age 60”. Rules: %(kinds)s") % {
            "kinds": kinds
        }

    @staticmethod
    def initial_from(bundle):
        items = list(bundle.items.all())
        return {
            "code": bundle.code,
            "name_local": bundle.name_local,
            "name_en": bundle.name_en,
            "scenario": bundle.scenario,
            "is_active": bundle.is_active,
            "products": [item.product_id for item in items if item.product_id],
            "services": "\n".join(item.service for item in items if not item.product_id),
            "rules": "\n".join(f"{rule.kind} {rule.value}".strip() for rule in bundle.rules.all()),
        }
