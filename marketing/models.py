"""Gathers the models of marketing's areas for Django and the migrations (no code of its own).

The credit of new business (MarketingCredit) is customers' model (the nightly attribution rule
reads it); marketing writes it through marketing.credits.services.credit()."""

from marketing.pipeline.models import Opportunity, OpportunityMove, PipelineStage  # noqa: F401
