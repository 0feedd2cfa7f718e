from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from ocrm import audit

        from . import models, services
        from .nav import register_nav

        # The safety net: every single-row change of customer data is audited with before/after.
        for model in (models.Customer, models.RetailProfile, models.CorporateProfile, models.IdentityDocument,
                      models.ContactPoint, models.Address, models.Relationship, models.Household, models.Holding,
                      models.ExternalAsset, models.ServiceContact, models.CustomerDocument, models.CustomerNote,
                      models.Tag, models.CustomerGroup, models.Product, models.FxRate):
            audit.register(model, exclude=("name_grams", "updated_at", "number_encrypted"))
        register_nav()
        from . import detail_sections  # noqa: F401  (importing it registers the built-in 360 sections)
        services.register_handlers()
