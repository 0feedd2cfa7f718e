"""Marketing's entries in the navigation bar (see ocrm.navigation)."""

from django.utils.translation import gettext_lazy as _

from ocrm import navigation

MARKETING = _("Marketing")


def register_nav():
    navigation.register(MARKETING, _("Campaigns"), "marketing:campaigns", ["marketing.view_campaign"], icon="megaphone", order=10)
    navigation.register(
        MARKETING, _("My pipeline"), "marketing:pipeline_board", ("marketing.view_opportunity",), icon="kanban", order=40
    )
    navigation.register(
        MARKETING, _("Opportunities"), "marketing:opportunities", ("marketing.view_opportunity",), icon="list-ul", order=41
    )
    navigation.register(
        MARKETING,
        _("Weighted forecast"),
        "marketing:pipeline_forecast",
        ("marketing.view_opportunity",),
        icon="graph-up",
        order=42,
    )
    navigation.register(
        MARKETING, _("Prospects"), "marketing:prospects", ("marketing.view_prospect",), icon="person-plus", order=43
    )
    navigation.register(
        MARKETING, _("Investment calculators"), "marketing:calculators", ("customers.view_customer",), icon="calculator", order=60
    )
    navigation.register(
        MARKETING,
        _("Product catalog"),
        "marketing:catalog_products",
        ["marketing.view_productversion"],
        icon="box-seam",
        order=30,
    )
    navigation.register(
        MARKETING, _("Bundles"), "marketing:catalog_bundles", ["marketing.view_productversion"], icon="boxes", order=31
    )
    navigation.register(
        MARKETING, _("Knowledge base"), "marketing:articles", ["marketing.view_article"], icon="journal-text", order=50
    )
