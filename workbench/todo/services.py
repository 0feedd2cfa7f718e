"""Tasks: the one way every app creates, closes and moves them.

    from workbench.todo import services as tasks
    tasks.create_task(assignee=manager, title=_("Call about the maturity"), customer=customer,
                      due_date=date, source=Task.Source.REMINDER, source_key=f"reminder:{reminder.pk}")

A `source_key` makes creation idempotent (a rerun or a double submit returns the existing task).
Due moments are computed in the assignee's own zone (models.py says why)."""

import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sysadmin.org.models import Branch, Staff
from workbench.todo import events
from workbench.todo.models import Task


def due_moment(due_date, due_time, tz_name):
    """The instant a task becomes overdue: its local time that day, or the next local midnight."""
    if due_date is None:
        return None
    zone = zoneinfo.ZoneInfo(tz_name)
    if due_time is not None:
        return datetime.datetime.combine(due_date, due_time, tzinfo=zone)
    return datetime.datetime.combine(due_date + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)


def local_today(user, now=None):
    """The date it is now for this person (their own zone, else their branch's)."""
    return timezone.localtime(now or timezone.now(), zoneinfo.ZoneInfo(user.effective_timezone)).date()


def _check_assignee(assignee, bank_id):
    if assignee is None or assignee.bank_id != bank_id or not assignee.is_active:
        raise ValidationError({"assignee": _("Choose an active colleague of the same bank.")})


def create_task(
    *,
    assignee,
    title,
    actor=None,
    customer=None,
    due_date=None,
    due_time=None,
    priority=Task.Priority.NORMAL,
    source=Task.Source.MANUAL,
    source_key="",
    notes="",
):
    """Create one open task (or return the one its source_key already made)."""
    bank_id = customer.bank_id if customer is not None else assignee.bank_id
    _check_assignee(assignee, bank_id)
    if not (title or "").strip():
        raise ValidationError({"title": _("Give the task a title.")})
    if due_time is not None and due_date is None:
        raise ValidationError({"due_date": _("A task with a time needs a date.")})
    if source_key:
        existing = Task.objects.filter(bank_id=bank_id, source=source, source_key=source_key).first()
        if existing is not None:
            return existing
    task = Task(
        bank_id=bank_id,
        title=title.strip()[:200],
        customer=customer,
        assignee=assignee,
        created_by=actor,
        due_date=due_date,
        due_time=due_time,
        due_at=due_moment(due_date, due_time, assignee.effective_timezone),
        priority=priority,
        source=source,
        source_key=source_key[:150],
        notes=notes,
    )
    try:
        with transaction.atomic():
            task.save()
            events.task_created(task, actor)
    except IntegrityError:
        if not source_key:
            raise
        # A concurrent creation with the same key won: return its task.
        return Task.objects.get(bank_id=bank_id, source=source, source_key=source_key)
    return task


def close_task(task, actor, *, status=Task.Status.DONE, outcome=""):
    """Mark an open task done or cancelled (a closed task stays closed)."""
    if status not in (Task.Status.DONE, Task.Status.CANCELLED):
        raise ValidationError({"status": _("A task is closed as done or cancelled.")})
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if not task.is_open:
            raise ValidationError(_("This task is already closed."))
        before = events.task_values(task)
        task.status = status
        task.outcome = outcome or task.outcome
        task.closed_at = timezone.now()
        task.closed_by = actor
        task.save(update_fields=["status", "outcome", "closed_at", "closed_by", "updated_at"])
        events.task_closed(task, actor, before)
    return task


def move_customer_tasks(plan, actor, reason=""):
    """Open customer tasks follow their customers to the new manager.

    plan: [(customer_id, from_manager_id, to_manager_id)] (customers.ownership.assignment calls
    this inside the transaction that moves the customers). One statement; due moments are
    recomputed in the new assignee's zone."""
    pairs = [(c, o, n) for c, o, n in plan if o is not None and n is not None and o != n]
    if not pairs:
        return 0
    table, staff, branch = Task._meta.db_table, Staff._meta.db_table, Branch._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} t SET assignee_id = p.to_id, updated_at = now(),
                   due_at = CASE
                     WHEN t.due_date IS NULL THEN NULL
                     WHEN t.due_time IS NULL THEN ((t.due_date + 1)::timestamp AT TIME ZONE z.tz)
                     ELSE ((t.due_date + t.due_time)::timestamp AT TIME ZONE z.tz) END
            FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS p(customer_id, from_id, to_id)
            JOIN LATERAL (
                SELECT COALESCE(NULLIF(s.time_zone, ''), b.timezone, %s) AS tz
                FROM {staff} s LEFT JOIN {branch} b ON b.id = s.branch_id WHERE s.id = p.to_id
            ) z ON true
            WHERE t.customer_id = p.customer_id AND t.assignee_id = p.from_id AND t.status = %s
            RETURNING t.bank_id""",
            [[p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs], settings.TIME_ZONE, Task.Status.OPEN],
        )
        banks = {row[0] for row in cursor.fetchall()}
        moved = cursor.rowcount
    for bank_id in banks:
        events.tasks_moved(bank_id, moved, [p[1] for p in pairs], [p[2] for p in pairs], actor, reason)
    return moved
