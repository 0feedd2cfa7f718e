"""Audit events of the rate board (the convention: ocrm/audit/__init__.py): a manual posting
asked for (on the bank, as the request waits for its checker), and a posted rate written (on the
rate, with the row's values as the safety net records them)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def posting_requested(bank, change_request, maker):
    return audit.record(
        AuditLog.Action.OTHER,
        bank,
        actor=maker,
        bank_id=bank.pk,
        changes=change_request.changes,
        detail={"event": "fx_posting_requested", "change_request": change_request.pk},
    )


def rate_posted(rate, actor, change_request=None):
    return audit.record(
        AuditLog.Action.CREATE,
        rate,
        actor=actor,
        bank_id=rate.bank_id,
        changes=audit.created_changes(rate),
        detail={"event": "fx_rate_posted", "source": rate.source, "change_request": getattr(change_request, "pk", None)},
    )
