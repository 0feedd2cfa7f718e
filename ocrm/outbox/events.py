"""Audit events of the outbox (the convention: ocrm/audit/__init__.py)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def template_saved(template, actor, before):
    after = {"code": template.code, "purpose": template.purpose, "category": template.category, "texts": template.texts}
    changes = audit.diff(before, after) if before is not None else {k: [None, v] for k, v in after.items()}
    return audit.record(
        AuditLog.Action.CREATE if before is None else AuditLog.Action.UPDATE,
        template,
        actor=actor,
        changes=changes,
        bank_id=template.bank_id,
        detail={"event": "outbox_template_saved"},
    )


def message_resent(original, resend, actor):
    return audit.record(
        AuditLog.Action.CREATE,
        resend,
        actor=actor,
        bank_id=resend.bank_id,
        detail={"event": "outbox_message_resent", "original": original.pk, "original_reason": original.reason},
    )


def address_denied(denied, source):
    return audit.record(
        AuditLog.Action.CREATE,
        denied,
        bank_id=denied.bank_id,
        detail={"event": "outbox_address_denied", "source": source},
    )
