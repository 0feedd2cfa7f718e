"""Gathers the models of marketing's areas for Django and the migrations (no code of its own).

The credit of new business (MarketingCredit) is customers' model (the nightly attribution rule
reads it); marketing writes it through marketing.credits.services.credit()."""

from marketing.campaigns.models import Campaign, CampaignMember, CampaignStat  # noqa: F401
from marketing.knowledge.models import Article, ArticleCategory, ArticleVersion  # noqa: F401
from marketing.pipeline.models import Opportunity, OpportunityMove, PipelineStage  # noqa: F401
from marketing.planning.models import PlanIllustration  # noqa: F401
from marketing.products.models import Bundle, BundleItem, BundleRule, ProductVersion  # noqa: F401
from marketing.prospects.models import Prospect  # noqa: F401
