"""Models arrive with the issues that build this app (see DESIGN.md §1)."""

from crossborder.profitsharing.models import (  # noqa: E402, F401
    ProfitShareRule,
    ProfitStatement,
    ProfitStatementLine,
    RevenueEvent,
    RuleShare,
)
