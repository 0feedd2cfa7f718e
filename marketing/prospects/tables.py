"""Table of the prospect list (the page and its XLSX export share it; contact fields masked)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from marketing.prospects.models import Prospect
from ocrm import pii
from ocrm.lists.tables import BaseTable


class ProspectTable(BaseTable):
    name = tables.Column(verbose_name=_("name"))
    phone = tables.Column(verbose_name=_("phone"))
    email = tables.Column(verbose_name=_("e-mail"))
    id_number_masked = tables.Column(verbose_name=_("identity number"), orderable=False)
    owner = tables.Column(verbose_name=_("manager"), accessor="owner__username", order_by=("owner__username",))
    branch = tables.Column(verbose_name=_("branch"), accessor="branch__name_local", order_by=("branch__name_local",))
    source = tables.Column(verbose_name=_("source"))
    status = tables.Column(verbose_name=_("status"))
    customer = tables.Column(verbose_name=_("customer"), accessor="customer__number", order_by=("customer__number",))
    created_at = tables.DateTimeColumn(verbose_name=_("created"), format="Y-m-d")

    class Meta(BaseTable.Meta):
        model = Prospect
        fields = ("name", "phone", "email", "id_number_masked", "owner", "branch", "source", "status", "customer", "created_at")
        order_by = ("-created_at",)

    def render_name(self, record, value):
        return format_html('<a href="{}">{}</a>', reverse("marketing:prospect_detail", args=[record.pk]), value)

    def value_name(self, record, value):
        return value

    def render_phone(self, value):
        return pii.mask(value, pii.PHONE)

    def value_phone(self, value):
        return pii.mask(value, pii.PHONE)

    def render_email(self, value):
        return pii.mask(value, pii.EMAIL)

    def value_email(self, value):
        return pii.mask(value, pii.EMAIL)
