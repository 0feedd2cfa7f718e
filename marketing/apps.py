from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self):
        from marketing.products.services import register_handlers as register_product_handlers

        register_product_handlers()

        from marketing.products.eligibility import register_providers as register_product_offers

        register_product_offers()

        from customers.profile import sections
        from marketing.products.views import section_context as eligible_section_context

        sections.register(
            "eligible_offers",
            _("Eligible bundles and products"),
            "marketing/products/section.html",
            eligible_section_context,
            order=33,
            perm="customers.view_holding",
        )

        from marketing import demo
        from ocrm import seed

        seed.register(demo.SEED_PART)
