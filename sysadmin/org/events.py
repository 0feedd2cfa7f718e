"""Audit events of the organisation pages (the convention: ocrm/audit/__init__.py). Branch and
staff rows are audited by the safety net; role grants are many-to-many rows it does not see."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def roles_changed(staff, actor, changes):
    """changes: {"roles": [before, after]} and, when admin access followed, {"is_staff": [...]}."""
    return audit.record(AuditLog.Action.UPDATE, staff, actor=actor, changes=changes, detail={"event": "roles"})
