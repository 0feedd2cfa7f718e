"""Audit events of customer sharing (the convention: ocrm/audit/__init__.py). Each step of a
share is one entry on the share, with the share's values before and after; the guardian grants
it adds or removes are audited by the safety net."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def share_values(share):
    """What an entry records of a share (pass it as `before` to a later event)."""
    return {
        "customer": share.customer_id,
        "shared_with": share.shared_with_id,
        "can_edit": share.can_edit,
        "expires_at": share.expires_at,
        "status": share.status,
        "revoked_at": share.revoked_at,
    }


def _share_entry(share, event, actor, before=None, **detail):
    after = share_values(share)
    changes = audit.diff(before, after) if before is not None else {k: [None, v] for k, v in after.items()}
    return audit.record(
        AuditLog.Action.CREATE if before is None else AuditLog.Action.UPDATE,
        share,
        actor=actor,
        changes=changes,
        bank_id=share.bank_id,
        detail={"event": event, "customer": share.customer.number, **detail},
    )


def customer_shared(share, actor):
    """A share was made: in force at once, or waiting for a supervisor."""
    return _share_entry(share, "customer_shared", actor)


def share_approved(share, checker, before, change_request):
    return _share_entry(share, "customer_share_approved", checker, before, change_request=change_request.pk)


def share_rejected(share, checker, before, change_request):
    return _share_entry(share, "customer_share_rejected", checker, before, change_request=change_request.pk)


def share_revoked(share, actor, before, reason):
    return _share_entry(share, "customer_share_revoked", actor, before, reason=reason)


def ended_grants_removed(count):
    """The hourly clean-up removed `count` guardian grants no share in force backs any more."""
    return audit.record(
        AuditLog.Action.OTHER,
        None,
        object_type="customers.customershare",
        object_repr="",
        detail={"event": "ended_share_grants_removed", "grants": count},
    )
