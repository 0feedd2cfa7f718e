"""Audit events of the dashboard (the convention: ocrm/audit/__init__.py)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def item_set_aside(row, actor):
    """An item of the today list snoozed or dismissed, with the reason (appraisal reads it)."""
    return audit.record(
        AuditLog.Action.CREATE,
        row,
        actor=actor,
        changes={"action": [None, row.action], "until": [None, row.until], "reason": [None, row.reason]},
        bank_id=row.bank_id,
        detail={"event": "today_item_set_aside", "kind": row.kind, "item": row.item_key},
    )


def shortcuts_saved(actor, names):
    return audit.record(
        AuditLog.Action.UPDATE,
        actor,
        actor=actor,
        changes={"workbench.shortcuts": [None, names]},
        bank_id=actor.bank_id,
        detail={"event": "shortcuts_saved"},
    )
