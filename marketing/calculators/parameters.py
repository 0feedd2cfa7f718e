"""The parameters the investment calculators read (declared from MarketingConfig.ready(); values per bank)."""

from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "calculators.rounding": (
        "string",
        "HALF_UP",
        _("How the investment calculators round each amount to the cent: HALF_UP (四舍五入) or HALF_EVEN (banker's rounding)."),
    ),
    "calculators.disclosure": (
        "string",
        "",
        _(
            "Disclosure text printed under every calculator result and plan illustration "
            "(empty: the standard text, in the reader's language)."
        ),
    ),
}
