"""The audit-log table: the page and its XLSX export (value_* give plain text)."""

import json

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ocrm.audit.models import AuditLog
from ocrm.lists.tables import BaseTable
from sysadmin.audit import labels

A = AuditLog.Action


ACTION_STYLES = {
    A.CREATE: "primary",
    A.UPDATE: "info",
    A.DELETE: "dark",
    A.LOGIN: "success",
    A.LOGIN_FAILED: "danger",
    A.LOGOUT: "secondary",
    A.LOCKED: "danger",
    A.UNLOCKED: "success",
    A.PASSWORD_CHANGE: "warning",
    A.EXPORT: "warning",
    A.VIEW_PII: "warning",
    A.IMPORT: "primary",
    A.JOB: "secondary",
    A.APPROVE: "success",
    A.REJECT: "danger",
    A.OTHER: "light",
}


SUMMARY_FIELDS = 3


SUMMARY_VALUE_CHARS = 40


def local_timestamp(value):
    """Seconds matter in an audit trail; the zone is the user's (activated per request)."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def short_value(value, limit=SUMMARY_VALUE_CHARS):
    if value is None or value == "":
        return "∅"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_summary(entry):
    """'field: before → after; …' for the first few fields (by their labels), then how many
    more; for entries without field changes (log-ins, exports) the detail's key facts."""
    changes = entry.changes or {}
    if changes:
        parts = []
        for field in sorted(changes)[:SUMMARY_FIELDS]:
            pair = changes[field]
            before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            label = labels.field_label(entry.object_type, field)
            if entry.action == AuditLog.Action.CREATE:
                parts.append(f"{label}: {short_value(after)}")
            elif entry.action == AuditLog.Action.DELETE:
                parts.append(f"{label}: {short_value(before)}")
            else:
                parts.append(f"{label}: {short_value(before)} → {short_value(after)}")
        more = len(changes) - SUMMARY_FIELDS
        if more > 0:
            parts.append(str(_("+%(n)d more") % {"n": more}))
        return "; ".join(parts)
    rows = [(label, value) for label, value in labels.detail_rows(entry)]
    return "; ".join(f"{label}: {short_value(value)}" for label, value in rows[:SUMMARY_FIELDS])


class AuditLogTable(BaseTable):
    at = tables.Column(verbose_name=_("time"), linkify=("sysadmin:audit_detail", [tables.A("pk")]))
    actor_name = tables.Column(verbose_name=_("user"), empty_values=())
    ip = tables.Column(verbose_name=_("IP address"))
    action = tables.Column(verbose_name=_("action"))
    object = tables.Column(
        verbose_name=_("object"), accessor="object_repr", empty_values=(), order_by=("object_type", "object_id")
    )
    summary = tables.Column(verbose_name=_("changes"), accessor="pk", orderable=False)

    class Meta(BaseTable.Meta):
        model = AuditLog
        fields = ()
        sequence = ("at", "actor_name", "ip", "action", "object", "summary")
        attrs = {**BaseTable.Meta.attrs, "id": "audit-table"}

    def render_at(self, value):
        return format_html('<span class="text-nowrap">{}</span>', local_timestamp(value))

    def value_at(self, value):
        return local_timestamp(value)

    def render_actor_name(self, value):
        return value or "—"

    def value_actor_name(self, value):
        return value

    def render_action(self, record):
        style = ACTION_STYLES.get(record.action, "secondary")
        text_class = "text-bg-" + style
        event = (record.detail or {}).get("event")
        badge = format_html('<span class="badge {}">{}</span>', text_class, record.get_action_display())
        return format_html('{} <span class="small">{}</span>', badge, labels.event_label(event)) if event else badge

    def value_action(self, record):
        return labels.entry_title(record)

    def render_object(self, record):
        return labels.object_label(record) or "—"

    def value_object(self, record):
        return labels.object_label(record)

    def render_summary(self, record):
        text = change_summary(record)
        return format_html('<span class="small text-break">{}</span>', text) if text else "—"

    def value_summary(self, record):
        return change_summary(record)
