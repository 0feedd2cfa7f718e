"""Audit events of marketing credits (the convention: ocrm/audit/__init__.py)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def credit_given(credit, actor):
    return audit.record(
        AuditLog.Action.CREATE,
        credit,
        actor=actor,
        changes=audit.created_changes(credit),
        bank_id=credit.bank_id,
        detail={"event": "marketing_credit_given", "source": credit.source},
    )
