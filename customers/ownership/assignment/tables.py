"""The table of the branch pool (the XLSX export reuses it)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.master.models import Customer
from ocrm.lists.tables import BaseTable


class PoolTable(BaseTable):
    number = tables.Column(verbose_name=gettext_lazy("customer number"))
    name_local = tables.Column(verbose_name=gettext_lazy("name"))
    branch = tables.Column(verbose_name=gettext_lazy("owning branch"), accessor="branch__code", order_by=("branch__code",))
    tier = tables.Column(verbose_name=gettext_lazy("tier"))
    aum = tables.Column(verbose_name=gettext_lazy("AUM (base currency)"), attrs={"td": {"class": "text-end"}})
    state = tables.Column(verbose_name=gettext_lazy("status"), empty_values=(), orderable=False)
    claim = tables.Column(verbose_name="", empty_values=(), orderable=False, exclude_from_export=True)

    class Meta(BaseTable.Meta):
        model = Customer
        fields = ()
        order_by_field = "sort"

    def render_aum(self, value):
        return f"{value:,.2f}"

    def value_aum(self, value):
        return value

    def render_state(self, record):
        if record.transfer_pending:
            return format_html('<span class="badge text-bg-warning">{}</span>', _("Transfer in progress"))
        if record.claim_pending:
            return format_html('<span class="badge text-bg-info">{}</span>', _("Claimed, awaiting approval"))
        return "—"

    def value_state(self, record):
        return (
            _("Transfer in progress")
            if record.transfer_pending
            else (_("Claimed, awaiting approval") if record.claim_pending else "")
        )

    def render_claim(self, record):
        return format_html(
            '<a class="btn btn-sm btn-outline-primary claim-link" href="{}">{}</a>',
            reverse("customers:claim", args=[record.number]),
            _("Claim"),
        )
