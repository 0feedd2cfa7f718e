"""Audit events of wealth planning: an illustration saved (on the illustration)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def illustration_saved(illustration, actor, request=None):
    return audit.record(
        AuditLog.Action.CREATE,
        illustration,
        actor=actor,
        request=request,
        bank_id=illustration.bank_id,
        detail={"event": "plan_illustration_saved", "version": illustration.version, "customer": illustration.customer.number},
    )
