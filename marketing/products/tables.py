"""Tables of the product catalog lists (the pages and their XLSX export share them)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from customers.master.models import Product
from marketing.products.models import Bundle
from ocrm import links
from ocrm.lists.tables import BaseTable


class ProductTable(BaseTable):
    code = tables.Column(verbose_name=_("code"), linkify=lambda record: links.url("catalog_product", record.pk))
    name_local = tables.Column(verbose_name=_("name"))
    product_type = tables.Column(verbose_name=_("type"))
    currency = tables.Column(verbose_name=_("currency"))
    risk_level = tables.Column(verbose_name=_("risk level"))
    is_active = tables.BooleanColumn(verbose_name=_("active"))

    class Meta(BaseTable.Meta):
        model = Product
        fields = ("code", "name_local", "product_type", "currency", "risk_level", "is_active")


class BundleTable(BaseTable):
    code = tables.Column(verbose_name=_("code"), linkify=lambda record: links.url("catalog_bundle", record.pk))
    name_local = tables.Column(verbose_name=_("name"))
    scenario = tables.Column(verbose_name=_("scenario"))
    is_active = tables.BooleanColumn(verbose_name=_("active"))

    class Meta(BaseTable.Meta):
        model = Bundle
        fields = ("code", "name_local", "scenario", "is_active")
