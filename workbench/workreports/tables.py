"""The work report list (its XLSX export shares it)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ocrm.lists.tables import BaseTable
from workbench.workreports.models import WorkReport


class WorkReportTable(BaseTable):
    period_start = tables.DateColumn(
        verbose_name=_("from"), format="Y-m-d", linkify=lambda record: reverse("workbench:workreport_detail", args=[record.pk])
    )
    period_end = tables.DateColumn(verbose_name=_("to"), format="Y-m-d")
    kind = tables.Column(verbose_name=_("kind"))
    author = tables.Column(verbose_name=_("author"), accessor="author__display_name", order_by=("author__username",))
    branch = tables.Column(verbose_name=_("branch"), accessor="author__branch__name_local", order_by=("author__branch__path",))
    status = tables.Column(verbose_name=_("status"))
    submitted_at = tables.DateTimeColumn(verbose_name=_("submitted"), format="Y-m-d H:i")
    summary = tables.Column(verbose_name=_("work done"), visible=False)
    plan = tables.Column(verbose_name=_("plan for the next period"), visible=False)

    class Meta(BaseTable.Meta):
        model = WorkReport
        fields = ()
        sequence = ("period_start", "period_end", "kind", "author", "branch", "status", "submitted_at", "summary", "plan")
