"""The plan form: up to three goals (the first required) and the assets declared at other banks."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GOALS = 3


class PlanForm(forms.Form):
    other_bank_assets = forms.DecimalField(
        label=_("Assets at other banks"),
        min_value=Decimal("0"),
        max_value=Decimal("10000000000"),
        max_digits=14,
        decimal_places=2,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, GOALS + 1):
            required = n == 1
            self.fields[f"goal_{n}_name"] = forms.CharField(label=_("Goal %(n)s") % {"n": n}, max_length=100, required=required)
            self.fields[f"goal_{n}_amount"] = forms.DecimalField(
                label=_("Goal %(n)s amount") % {"n": n},
                min_value=Decimal("1"),
                max_value=Decimal("10000000000"),
                max_digits=14,
                decimal_places=2,
                required=required,
            )
            self.fields[f"goal_{n}_date"] = forms.DateField(
                label=_("Goal %(n)s date") % {"n": n}, required=required, widget=forms.DateInput(attrs={"type": "date"})
            )

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        for n in range(1, GOALS + 1):
            values = [data.get(f"goal_{n}_{part}") for part in ("name", "amount", "date")]
            if any(v not in (None, "") for v in values):
                for part, value in zip(("name", "amount", "date"), values, strict=True):
                    if value in (None, "") and f"goal_{n}_{part}" not in self.errors:
                        self.add_error(f"goal_{n}_{part}", _("Fill in every field of this goal, or none."))
            due = data.get(f"goal_{n}_date")
            if due and due <= today:
                self.add_error(f"goal_{n}_date", _("The goal's date must be in the future."))
            if due and due.year > today.year + 60:
                self.add_error(f"goal_{n}_date", _("The goal's date must be within 60 years."))
        return data

    def goals(self):
        data = self.cleaned_data
        return [
            (data[f"goal_{n}_name"], data[f"goal_{n}_amount"], data[f"goal_{n}_date"])
            for n in range(1, GOALS + 1)
            if data.get(f"goal_{n}_name") and data.get(f"goal_{n}_amount") and data.get(f"goal_{n}_date")
        ]
