"""Marketing's parameters, gathered from its areas (declared from MarketingConfig.ready())."""

from marketing.calculators.parameters import PARAMETERS as CALCULATOR_PARAMETERS

PARAMETERS = {
    **CALCULATOR_PARAMETERS,
}
