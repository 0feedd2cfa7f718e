"""Tables of the publisher's list and of the reach page's people (the page and its XLSX export share it)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy

from ocrm import links
from ocrm.lists.tables import BaseTable
from sysadmin.org.models import Staff
from workbench.announcements.models import Announcement


class ManageTable(BaseTable):
    title = tables.Column(verbose_name=gettext_lazy("title"), linkify=lambda record: links.url("announcement_manage", record.pk))
    kind = tables.Column(verbose_name=gettext_lazy("kind"))
    status = tables.Column(verbose_name=gettext_lazy("status"))
    bank_wide = tables.BooleanColumn(verbose_name=gettext_lazy("whole bank"))
    requires_ack = tables.BooleanColumn(verbose_name=gettext_lazy("requires acknowledgement"))
    valid_from = tables.DateTimeColumn(verbose_name=gettext_lazy("valid from"), format="Y-m-d H:i")
    valid_until = tables.DateTimeColumn(verbose_name=gettext_lazy("valid until"), format="Y-m-d H:i")
    created_by = tables.Column(
        verbose_name=gettext_lazy("created by"), accessor="created_by__display_name", order_by=("created_by__username",)
    )

    class Meta(BaseTable.Meta):
        model = Announcement
        fields = ("title", "kind", "status", "bank_wide", "requires_ack", "valid_from", "valid_until", "created_by")


class ReachPeopleTable(BaseTable):
    branch = tables.Column(verbose_name=gettext_lazy("branch"), accessor="branch__name_local", order_by=("branch__path",))
    employee_no = tables.Column(verbose_name=gettext_lazy("employee number"))
    username = tables.Column(verbose_name=gettext_lazy("user name"))
    name_local = tables.Column(verbose_name=gettext_lazy("name"))
    opened_at = tables.DateTimeColumn(verbose_name=gettext_lazy("opened"), format="Y-m-d H:i", orderable=False)
    acknowledged_at = tables.DateTimeColumn(verbose_name=gettext_lazy("acknowledged"), format="Y-m-d H:i", orderable=False)

    class Meta(BaseTable.Meta):
        model = Staff
        fields = ("branch", "employee_no", "username", "name_local", "opened_at", "acknowledged_at")
        orderable = False
