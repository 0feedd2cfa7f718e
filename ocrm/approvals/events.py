"""Audit events of maker-checker (the convention: ocrm/audit/__init__.py)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def change_requested(change_request, obj, maker):
    """A maker recorded a pending change of `obj` (the entry sits on the object, not the request)."""
    return audit.record(
        AuditLog.Action.OTHER,
        obj,
        actor=maker,
        changes=change_request.changes,
        detail={"event": "change_requested", "change_request": change_request.pk, "action": change_request.action},
    )


def request_approved(change_request, checker):
    return audit.record(
        AuditLog.Action.APPROVE,
        change_request,
        actor=checker,
        changes=change_request.changes,
        detail={"action": change_request.action, "object": f"{change_request.object_type}:{change_request.object_id}"},
        bank_id=change_request.bank_id,
    )


def request_rejected(change_request, checker):
    return audit.record(
        AuditLog.Action.REJECT,
        change_request,
        actor=checker,
        detail={"reason": change_request.decision_reason},
        bank_id=change_request.bank_id,
    )


def request_cancelled(change_request, actor, reason):
    """Closed without a decision: withdrawn by its maker, or closed because a competing request won."""
    return audit.record(
        AuditLog.Action.OTHER,
        change_request,
        actor=actor,
        bank_id=change_request.bank_id,
        detail={"event": "change_request_cancelled", "reason": reason},
    )
