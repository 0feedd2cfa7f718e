"""The audit entries of cross-border work. A look across banks is written to BOTH banks' audit
logs (each bank's auditors see who looked at their customer, and who of theirs looked)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def _both(action, obj, actor, bank_ids, detail):
    return [audit.record(action, obj, actor=actor, bank_id=bank_id, detail=detail) for bank_id in dict.fromkeys(bank_ids)]


def request_changed(request, actor, event, **detail):
    return _both(AuditLog.Action.UPDATE, request, actor, (request.bank_id, request.to_bank_id), {"event": event, **detail})


def shared_viewed(request, actor, parts):
    """The receiving side looked at the customer's shared parts."""
    return _both(
        AuditLog.Action.VIEW_PII,
        request,
        actor,
        (request.bank_id, request.to_bank_id),
        {"event": "crossborder_shared_view", "customer": request.customer_id, "parts": list(parts)},
    )


def agreement_changed(agreement, actor, event):
    return _both(AuditLog.Action.UPDATE, agreement, actor, (agreement.bank_a_id, agreement.bank_b_id), {"event": event})


def bus_called(request, actor, *, outcome, duration_ms, bank_id):
    return audit.record(
        AuditLog.Action.OTHER,
        request,
        actor=actor,
        bank_id=bank_id,
        detail={"event": "crossborder_bus_lookup", "outcome": outcome, "duration_ms": duration_ms},
    )


def attachment_viewed(request, actor, attachment):
    """A file of the request was opened: written to both banks' audit logs."""
    return _both(
        AuditLog.Action.VIEW_PII,
        request,
        actor,
        (request.bank_id, request.to_bank_id),
        {"event": "crossborder_attachment_view", "attachment": attachment.pk, "sha256": attachment.sha256},
    )
