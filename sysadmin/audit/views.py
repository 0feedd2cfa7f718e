"""The audit-log pages for auditors: a searchable list and one entry's before/after.

AuditLog.objects.visible_to() limits auditors to their own bank (superusers see all);
an entry outside that answers 404. Exporting the list is itself audited (ocrm.lists.exports)."""

import json
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView
from django_tables2.paginators import LazyPaginator

from ocrm.audit.models import AuditLog
from ocrm.lists.views import ScopedListView
from ocrm.pages import ScopedQuerysetMixin
from sysadmin.audit import labels
from sysadmin.audit.filtersets import AuditLogFilterSet
from sysadmin.audit.tables import AuditLogTable, local_timestamp

AUDIT_PERMISSION = "sysadmin.view_audit"


class AuditListView(ScopedListView):
    model = AuditLog
    table_class = AuditLogTable
    filterset_class = AuditLogFilterSet
    permission_required = AUDIT_PERMISSION
    title = _("Audit log")
    template_name = "sysadmin/audit/list.html"
    export_filename = "audit-log"

    def get_table_pagination(self, table):
        # No COUNT(*) over what grows into the largest table of the system.
        return {**super().get_table_pagination(table), "paginator_class": LazyPaginator}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = getattr(context["table"], "page", None)
        if page is not None and len(page.object_list):
            first = (page.number - 1) * page.paginator.per_page + 1
            context["row_range"] = (first, first + len(page.object_list) - 1, page.has_next())
        return context


def _display(value):
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)
    return str(value)


def change_rows(changes, object_type=""):
    """[{field, label, before, after, changed}] from {field: [before, after]}, sorted by field."""
    rows = []
    for field in sorted(changes or {}):
        pair = changes[field]
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        rows.append(
            {
                "field": field,
                "label": labels.field_label(object_type, field),
                "before": _display(before),
                "after": _display(after),
                "changed": before != after,
            }
        )
    return rows


class AuditDetailView(ScopedQuerysetMixin, DetailView):
    model = AuditLog
    permission_required = AUDIT_PERMISSION
    template_name = "sysadmin/audit/detail.html"
    context_object_name = "entry"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entry = self.object
        list_url = reverse("sysadmin:audit_list")
        context.update(
            title=_("Audit entry %(id)s") % {"id": entry.pk},
            local_time=local_timestamp(entry.at),
            change_rows=change_rows(entry.changes, entry.object_type),
            detail_rows=labels.detail_rows(entry),
            entry_title=labels.entry_title(entry),
            object_type_label=labels.object_type_label(entry.object_type),
            object_history_url=(
                f"{list_url}?{urlencode({'object_type': entry.object_type, 'object_id': entry.object_id})}"
                if entry.object_type and entry.object_id
                else None
            ),
            actor_history_url=f"{list_url}?{urlencode({'user': entry.actor_name})}" if entry.actor_name else None,
        )
        return context
