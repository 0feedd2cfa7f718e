"""Gathers the models of cross-border's areas for Django and the migrations (no code of its own)."""

from crossborder.agreements.models import CrossBorderAgreement  # noqa: F401
from crossborder.profitsharing.models import (  # noqa: F401
    ProfitShareRule,
    ProfitStatement,
    ProfitStatementLine,
    RevenueEvent,
    RuleShare,
)
from crossborder.requests import models as requests_models  # noqa: F401 (RequestAttachment too)
from crossborder.requests.models import CrossBorderRequest, RequestEvent, RequestMessage, ServiceType  # noqa: F401
