from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self):
        from customers.profile import sections
        from marketing import demo
        from marketing import parameters as marketing_parameters
        from marketing.campaigns import sections as campaign_sections
        from marketing.campaigns import services as campaigns
        from marketing.campaigns import tasks as campaign_tasks
        from marketing.knowledge import services as knowledge
        from marketing.knowledge import tasks as knowledge_tasks
        from marketing.navigation import register_nav
        from marketing.pipeline import measures as pipeline_measures
        from marketing.pipeline import reminders as pipeline_reminders
        from marketing.pipeline import roles as pipeline_roles
        from marketing.pipeline import sections as pipeline_sections
        from marketing.pipeline import services as pipeline
        from marketing.planning import sections as planning_sections
        from marketing.products import eligibility as product_eligibility
        from marketing.products import services as products
        from marketing.products import views as product_views
        from ocrm import parameters, seed
        from workbench import desk

        register_nav()
        parameters.declare(marketing_parameters.PARAMETERS)
        seed.register(demo.SEED_PART)
        # Campaigns (marketing.campaigns): approvals (launch) and the channel offers provider.
        campaigns.register_handlers()
        campaign_sections.register_sections()
        campaign_sections.register_measures()
        campaign_tasks.register_jobs()
        # Opportunities (marketing.pipeline): role permissions, the stale reminder kind, the work-report line.
        pipeline_roles.grant()  # opportunity permissions for the bank roles (sysadmin.roles.sync_roles)
        parameters.declare(pipeline_reminders.PARAMETERS)  # pipeline.stale_days
        pipeline_reminders.register()
        desk.register_activity("opportunities", _("Opportunities"), pipeline.moves_and_wins, order=40)
        pipeline_measures.register_measures()  # opportunities won (count, amount), prospects converted
        pipeline_sections.register_sections()  # the 360 page's opportunities (and opening one from a contact)
        # Products and bundles (marketing.products): publishing with a checker, the guarded risk
        # level, the channel offers provider, the 360 section (loaded by htmx).
        products.register_handlers()
        product_eligibility.register_providers()
        sections.register(
            "eligible_offers",
            _("Eligible bundles and products"),
            "marketing/products/section.html",
            product_views.section_context,
            order=33,
            perm="customers.view_holding",
        )
        # Wealth plans on the 360 page (marketing.planning).
        planning_sections.register_sections()
        # Knowledge base (marketing.knowledge): publication with a checker, the nightly review notice.
        knowledge.register_handlers()
        knowledge_tasks.register_jobs()
