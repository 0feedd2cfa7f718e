"""Audit events of tasks (the convention: ocrm/audit/__init__.py)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def task_values(task):
    """What an entry records of a task (pass it as `before` to a later event)."""
    return {
        "title": task.title,
        "customer": task.customer_id,
        "assignee": task.assignee_id,
        "due_date": task.due_date,
        "due_time": task.due_time,
        "priority": task.priority,
        "status": task.status,
    }


def _entry(task, event, actor, before=None, **detail):
    after = task_values(task)
    changes = audit.diff(before, after) if before is not None else {k: [None, v] for k, v in after.items()}
    return audit.record(
        AuditLog.Action.CREATE if before is None else AuditLog.Action.UPDATE,
        task,
        actor=actor,
        changes=changes,
        bank_id=task.bank_id,
        detail={"event": event, "source": task.source, **detail},
    )


def task_created(task, actor):
    return _entry(task, "task_created", actor)


def task_closed(task, actor, before):
    return _entry(task, "task_closed", actor, before)


def tasks_moved(bank_id, count, from_manager_ids, to_manager_ids, actor, reason):
    """Open customer tasks followed their customers to a new manager (hand-over, transfer)."""
    return audit.record(
        AuditLog.Action.UPDATE,
        None,
        actor=actor,
        bank_id=bank_id,
        object_type="workbench.task",
        object_repr=f"{count} tasks",
        detail={
            "event": "tasks_moved",
            "count": count,
            "from": sorted(set(from_manager_ids)),
            "to": sorted(set(to_manager_ids)),
            "reason": reason,
        },
    )


def task_updated(task, actor, before):
    return _entry(task, "task_updated", actor, before)


def task_reassigned(task, actor, before):
    return _entry(task, "task_reassigned", actor, before)
