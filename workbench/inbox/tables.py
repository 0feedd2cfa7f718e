"""The approvals inbox table (one row per pending ChangeRequest the user may decide) and the
maker's "My requests" table (every request they made, whatever its kind or status)."""

import django_tables2 as tables
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from customers.master.tables import display_value
from ocrm.approvals import services as approvals
from ocrm.lists.tables import BaseTable
from sysadmin.org.models import Branch

CUSTOMER = "customers.customer"


def action_label(action):
    return str(approvals.label_for(action))


def _local(value):
    """An ISO date-time text (as change requests store times) in the reader's zone."""
    if isinstance(value, str) and "T" in value:
        moment = parse_datetime(value)
        if moment is not None and moment.tzinfo is not None:
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    return value


class InboxTable(BaseTable):
    selected = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "input": {"form": "bulk-form", "class": "form-check-input inbox-select", "name": "selected"},
            "th__input": {"class": "form-check-input", "id": "select-all", "form": "bulk-form"},
        },
        exclude_from_export=True,
    )
    id = tables.Column(verbose_name="#", linkify=lambda record: reverse("workbench:request_detail", args=[record.pk]))
    action = tables.Column(verbose_name=_("type"))
    object_repr = tables.Column(verbose_name=_("object"))
    changes = tables.Column(verbose_name=_("changes"), orderable=False)
    maker = tables.Column(verbose_name=_("requested by"), accessor="maker__display_name", order_by=("maker__username",))
    created_at = tables.DateTimeColumn(verbose_name=_("requested"), format="Y-m-d H:i")
    age = tables.Column(verbose_name=_("waiting"), accessor="created_at", order_by=("-created_at",), orderable=True)
    decide = tables.Column(verbose_name="", empty_values=(), orderable=False, exclude_from_export=True)

    class Meta(BaseTable.Meta):
        # The buttons come early: on a phone (and beside the filters) the wide columns scroll away.
        fields = ("selected", "id", "decide", "action", "object_repr", "changes", "maker", "created_at", "age")
        row_attrs = {"id": lambda record: f"inbox-row-{record.pk}", "class": "inbox-row"}
        order_by = ("created_at",)

    def render_action(self, value):
        return action_label(value)

    def value_action(self, value):
        return action_label(value)

    def render_object_repr(self, record, value):
        number = getattr(record, "customer_number", None)
        if record.object_type == CUSTOMER and number:
            return format_html('<a href="{}">{}</a>', reverse("customers:detail", args=[number]), value)
        return value

    def value_object_repr(self, value):
        return value

    def _changes(self, record):
        """[(label, before, after)] as a person reads them: labels of the fields, choices by
        label, branches by name, times in the reader's zone."""
        branches = self._branches()
        rows = []
        for name, pair in (record.changes or {}).items():
            before, after = (list(pair) + [None, None])[:2] if isinstance(pair, (list, tuple)) else (None, pair)
            if record.object_type == CUSTOMER:
                rows.append(
                    (
                        approvals.field_label(record, name),
                        display_value(name, _local(before), branches),
                        display_value(name, _local(after), branches),
                    )
                )
            else:
                rows.append(
                    (
                        approvals.field_label(record, name),
                        "—" if before in (None, "") else before,
                        "—" if after in (None, "") else after,
                    )
                )
        return rows

    def render_changes(self, record):
        return format_html(
            '<ul class="list-unstyled small mb-0">{}</ul>',
            format_html_join("", '<li><span class="text-muted">{}:</span> {} → <strong>{}</strong></li>', self._changes(record)),
        )

    def value_changes(self, record):
        return "; ".join(f"{label}: {before} → {after}" for label, before, after in self._changes(record))

    def render_age(self, value):
        return timesince(value, timezone.now())

    def value_age(self, value):
        return timesince(value, timezone.now())

    def render_decide(self, record):
        return format_html(
            '<div class="d-flex gap-1">'
            '<button type="submit" form="bulk-form" name="only" value="{}" class="btn btn-sm btn-success inbox-approve" '
            'id="approve-{}">{}</button>'
            '<a href="{}" class="btn btn-sm btn-outline-danger inbox-reject" id="reject-{}" data-bs-toggle="modal" '
            'data-bs-target="#reject-modal" data-request="{}" data-action="{}">{}</a></div>',
            record.pk,
            record.pk,
            _("Approve"),
            reverse("workbench:request_detail", args=[record.pk]) + "#reject",
            record.pk,
            record.pk,
            reverse("workbench:reject", args=[record.pk]),
            _("Reject…"),
        )

    def _branches(self):
        """Branches named in the shown requests' changes, read once per table (one query)."""
        if not hasattr(self, "_branch_cache"):
            records = [row.record for row in self.page.object_list] if hasattr(self, "page") else list(self.data)
            ids = {
                v
                for record in records
                for name, pair in (record.changes or {}).items()
                if name == "branch"
                for v in (pair if isinstance(pair, (list, tuple)) else [pair])
                if isinstance(v, int)
            }
            self._branch_cache = {b.pk: b for b in Branch.objects.filter(pk__in=ids)} if ids else {}
        return self._branch_cache


class MyRequestsTable(InboxTable):
    """The maker's own requests: what they asked, where it stands, who decided and why; a pending
    one can be withdrawn from here."""

    status = tables.Column(verbose_name=_("status"))
    checker = tables.Column(verbose_name=_("decided by"), accessor="checker__display_name", order_by=("checker__username",))
    decided_at = tables.DateTimeColumn(verbose_name=_("decided"), format="Y-m-d H:i")
    decision_reason = tables.Column(verbose_name=_("reason for the decision"))
    withdraw = tables.Column(verbose_name="", empty_values=(), orderable=False, exclude_from_export=True)

    class Meta(InboxTable.Meta):
        fields = ("id", "withdraw", "action", "object_repr", "changes", "status", "created_at", "checker", "decided_at")
        exclude = ("selected", "decide", "maker", "age")
        sequence = (*fields, "decision_reason")
        row_attrs = {"id": lambda record: f"my-request-{record.pk}", "class": "my-request-row"}
        order_by = ("-created_at",)

    def render_status(self, record):
        return record.get_status_display()

    def value_status(self, record):
        return record.get_status_display()

    def render_withdraw(self, record):
        if record.status != record.Status.PENDING:
            return ""
        return format_html(
            '<form method="post" action="{}" class="m-0">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button type="submit" class="btn btn-sm btn-outline-secondary my-request-withdraw" id="withdraw-{}">{}</button>'
            "</form>",
            reverse("workbench:withdraw", args=[record.pk]),
            get_token(self.request) if getattr(self, "request", None) else "",
            record.pk,
            _("Withdraw"),
        )
