from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self):
        from marketing import demo
        from marketing.campaigns import sections as campaign_sections
        from marketing.campaigns import services as campaigns
        from marketing.campaigns import tasks as campaign_tasks
        from marketing.navigation import register_nav
        from ocrm import seed

        register_nav()

        campaigns.register_handlers()  # approvals (launch) and the channel offers provider
        campaign_sections.register_sections()
        campaign_sections.register_measures()
        campaign_tasks.register_jobs()
        seed.register(demo.SEED_PART)
