"""Audit event of the personal details page."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def details_changed(staff, before, after):
    return audit.record(
        AuditLog.Action.UPDATE,
        staff,
        actor=staff,
        changes=audit.diff(before, after),
        bank_id=staff.bank_id,
        detail={"event": "personal_details_changed"},
    )
