"""The calculators' bank settings: the rounding rule and the disclosure text (bank parameters),
and the FX conversion at the board's rates (customers.fx)."""

from django.utils.translation import gettext_lazy

from customers.fx import services as fx
from marketing.calculators import formulas
from ocrm import parameters

VIEW_PERM = "customers.view_customer"


def rounding_for(bank):
    """The bank's rounding rule (calculators.rounding); an unknown name falls back to HALF_UP."""
    name = str(parameters.get("calculators.rounding", bank) or "").strip().upper()
    return formulas.ROUNDING_MODES.get(name, formulas.ROUNDING_MODES[formulas.DEFAULT_ROUNDING])


STANDARD_DISCLOSURE = gettext_lazy(
    "This illustration is for reference only. Assumed rates are not guaranteed; past performance does not predict future returns."
)


def disclosure_for(bank):
    """The bank's disclosure text (calculators.disclosure), else the standard one in the reader's language."""
    return str(parameters.get("calculators.disclosure", bank) or "").strip() or str(STANDARD_DISCLOSURE)


def convert(bank, amount, from_currency, to_currency, channel=fx.Channel.TRANSFER):
    """FX at the board's rates: the rate board's own converter (docs/fx.md), so a calculator
    never quotes a rate the board does not show."""
    return fx.convert(bank, amount, from_currency, to_currency, channel)
