import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crossborder.requests.models import CrossBorderRequest
from ocrm.lists.tables import BaseTable


class RequestTable(BaseTable):
    service_type = tables.Column(
        verbose_name=_("service"),
        accessor="service_type__name_local",
        order_by=("service_type__code",),
        linkify=lambda record: reverse("crossborder:request", args=[record.pk]),
    )
    from_branch = tables.Column(verbose_name=_("requesting branch"), accessor="from_branch__name_local")
    to_branch = tables.Column(verbose_name=_("receiving branch"), accessor="to_branch__name_local")
    status = tables.Column(verbose_name=_("status"))
    submitted_at = tables.DateTimeColumn(verbose_name=_("submitted"), format="Y-m-d H:i")
    due_at = tables.DateTimeColumn(verbose_name=_("due"), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = CrossBorderRequest
        fields = ("service_type", "from_branch", "to_branch", "status", "submitted_at", "due_at")
