"""Audit events of reminders (the convention: ocrm/audit/__init__.py)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def _entry(reminder, event, actor, before_status, **detail):
    return audit.record(
        AuditLog.Action.UPDATE,
        reminder,
        actor=actor,
        bank_id=reminder.bank_id,
        changes={"status": [before_status, reminder.status]},
        detail={"event": event, "kind": reminder.kind, "customer": reminder.customer_id, **detail},
    )


def reminder_snoozed(reminder, actor, before_status):
    return _entry(reminder, "reminder_snoozed", actor, before_status, until=reminder.snoozed_until, reason=reminder.reason)


def reminder_dismissed(reminder, actor, before_status):
    return _entry(reminder, "reminder_dismissed", actor, before_status, reason=reminder.reason)


def reminder_tasked(reminder, actor, before_status):
    return _entry(reminder, "reminder_tasked", actor, before_status, task=reminder.task_id)


def reminders_generated(bank_id, business_date, zone, counts):
    """One entry per run (bank and branch zone) of the nightly generation."""
    return audit.record(
        AuditLog.Action.JOB,
        None,
        bank_id=bank_id,
        object_type="workbench.reminder",
        object_repr=f"reminders {business_date.isoformat()} {zone}",
        detail={"event": "reminders_generated", "business_date": business_date, "zone": zone, **counts},
    )
