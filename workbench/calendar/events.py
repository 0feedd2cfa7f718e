"""Audit events of the calendar (the convention: ocrm/audit/__init__.py)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def appointment_values(appointment, attendee_ids=None):
    return {
        "title": appointment.title,
        "customer": appointment.customer_id,
        "owner": appointment.owner_id,
        "start": appointment.start.isoformat() if appointment.start else None,
        "end": appointment.end.isoformat() if appointment.end else None,
        "location": appointment.location,
        "channel": appointment.channel,
        "status": appointment.status,
        **({"attendees": sorted(attendee_ids)} if attendee_ids is not None else {}),
    }


def _entry(appointment, event, actor, before=None, attendee_ids=None):
    after = appointment_values(appointment, attendee_ids)
    changes = audit.diff(before, after) if before is not None else {k: [None, v] for k, v in after.items()}
    return audit.record(
        AuditLog.Action.CREATE if before is None else AuditLog.Action.UPDATE,
        appointment,
        actor=actor,
        changes=changes,
        bank_id=appointment.bank_id,
        detail={"event": event},
    )


def appointment_created(appointment, actor, attendee_ids):
    return _entry(appointment, "appointment_created", actor, attendee_ids=attendee_ids)


def appointment_changed(appointment, actor, before, attendee_ids=None):
    return _entry(appointment, "appointment_changed", actor, before, attendee_ids)


def appointment_moved(appointment, actor, before):
    return _entry(appointment, "appointment_moved", actor, before)


def appointment_cancelled(appointment, actor, before):
    return _entry(appointment, "appointment_cancelled", actor, before)


def feed_issued(feed, actor, replaced):
    return audit.record(
        AuditLog.Action.UPDATE if replaced else AuditLog.Action.CREATE,
        feed,
        actor=actor,
        bank_id=feed.bank_id,
        detail={"event": "calendar_feed_issued", "replaced": replaced},
    )


def feed_revoked(bank_id, owner, actor):
    return audit.record(
        AuditLog.Action.DELETE,
        None,
        actor=actor,
        bank_id=bank_id,
        object_type="workbench.calendarfeed",
        object_repr=str(owner),
        detail={"event": "calendar_feed_revoked", "owner": owner.pk},
    )
