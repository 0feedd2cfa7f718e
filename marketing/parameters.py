"""Marketing's parameters, gathered from its areas (declared from MarketingConfig.ready())."""

from marketing.calculators.parameters import PARAMETERS as CALCULATOR_PARAMETERS
from marketing.knowledge.services import PARAMETERS as KNOWLEDGE_PARAMETERS
from marketing.prospects.services import PARAMETERS as PROSPECT_PARAMETERS

PARAMETERS = {
    **CALCULATOR_PARAMETERS,
    **PROSPECT_PARAMETERS,
    **KNOWLEDGE_PARAMETERS,
}
