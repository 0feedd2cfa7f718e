"""Audit events of announcements (the convention: ocrm/audit/__init__.py)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def announcement_values(announcement):
    """What an entry records of an announcement (pass it as `before` to a later event)."""
    return {
        "kind": announcement.kind,
        "title": announcement.title,
        "bank_wide": announcement.bank_wide,
        "valid_from": announcement.valid_from,
        "valid_until": announcement.valid_until,
        "pinned": announcement.pinned,
        "requires_ack": announcement.requires_ack,
        "status": announcement.status,
    }


def _entry(announcement, event, actor, before=None, action=None, **detail):
    after = announcement_values(announcement)
    changes = audit.diff(before, after) if before is not None else {k: [None, v] for k, v in after.items()}
    return audit.record(
        action or (AuditLog.Action.CREATE if before is None else AuditLog.Action.UPDATE),
        announcement,
        actor=actor,
        changes=changes,
        bank_id=announcement.bank_id,
        detail={"event": event, **detail},
    )


def announcement_created(announcement, actor):
    return _entry(announcement, "announcement_created", actor)


def announcement_changed(announcement, actor, before):
    return _entry(announcement, "announcement_changed", actor, before)


def announcement_submitted(announcement, actor, before, change_request):
    return _entry(announcement, "announcement_submitted", actor, before, change_request=change_request.pk)


def announcement_published(announcement, actor, before, change_request=None):
    return _entry(
        announcement, "announcement_published", actor, before, change_request=change_request.pk if change_request else None
    )


def announcement_returned(announcement, actor, before, reason):
    """A bank-wide announcement went back to draft: rejected or withdrawn while waiting."""
    return _entry(announcement, "announcement_returned", actor, before, reason=reason)


def announcement_withdrawn(announcement, actor, before):
    return _entry(announcement, "announcement_withdrawn", actor, before)


def announcement_acknowledged(announcement, actor):
    return audit.record(
        AuditLog.Action.UPDATE,
        announcement,
        actor=actor,
        bank_id=announcement.bank_id,
        detail={"event": "announcement_acknowledged"},
    )


def attachment_added(attachment, actor):
    return audit.record(
        AuditLog.Action.CREATE,
        attachment,
        actor=actor,
        bank_id=attachment.bank_id,
        detail={
            "event": "announcement_attachment_added",
            "announcement": attachment.announcement_id,
            "content_type": attachment.content_type,
            "size": attachment.size,
        },
    )


def attachment_removed(attachment, actor):
    return audit.record(
        AuditLog.Action.DELETE,
        attachment,
        actor=actor,
        bank_id=attachment.bank_id,
        detail={"event": "announcement_attachment_removed", "announcement": attachment.announcement_id},
    )


def attachment_downloaded(attachment, actor):
    return audit.record(
        AuditLog.Action.OTHER,
        attachment,
        actor=actor,
        bank_id=attachment.bank_id,
        detail={"event": "announcement_attachment_downloaded", "announcement": attachment.announcement_id},
    )
