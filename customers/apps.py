from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from ocrm import audit

        from . import (
            detail_sections,  # noqa: F401  (importing it registers the built-in 360 sections)
            models,
            services,
        )
        from .nav import register_nav

        # The safety net: every single-row change of customer data is audited with before/after;
        # contact values are recorded masked (the log says a phone changed, not the number).
        for model in (models.Customer, models.RetailProfile, models.CorporateProfile, models.IdentityDocument,
                      models.ContactPoint, models.Address, models.Relationship, models.Household, models.Holding,
                      models.ExternalAsset, models.ServiceContact, models.CustomerDocument, models.CustomerNote,
                      models.Tag, models.CustomerGroup, models.Product, models.FxRate):
            audit.register(model, exclude=("name_grams", "updated_at", "number_encrypted", "number_hash"),
                           masked={"value": mask_contact_value} if model is models.ContactPoint else None)
        register_nav()
        services.register_handlers()


def mask_contact_value(value):
    from ocrm import pii

    return pii.mask_email(value) if "@" in str(value) else pii.mask_phone(value)
