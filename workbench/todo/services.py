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

from ocrm import links
from ocrm.errors import NotVisible
from sysadmin.org.models import Branch, Staff
from workbench import desk
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


def _check_fields(title, due_date, due_time):
    if not (title or "").strip():
        raise ValidationError({"title": _("Give the task a title.")})
    if due_time is not None and due_date is None:
        raise ValidationError({"due_date": _("A task with a time needs a date.")})


def _locked(task, actor):
    """The task again, locked, if the actor may see it (NotVisible otherwise)."""
    found = Task.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=task.pk).first()
    if found is None:
        raise NotVisible
    return found


def update_task(task, actor, *, title, due_date=None, due_time=None, priority=Task.Priority.NORMAL, notes=""):
    """Change what an open task says and when it is due (the due moment in the assignee's zone)."""
    _check_fields(title, due_date, due_time)
    with transaction.atomic():
        task = _locked(task, actor)
        if not task.is_open:
            raise ValidationError(_("This task is already closed."))
        before = events.task_values(task)
        task.title = title.strip()[:200]
        task.due_date, task.due_time = due_date, due_time
        task.due_at = due_moment(due_date, due_time, task.assignee.effective_timezone)
        task.priority = priority
        task.notes = notes
        task.save(update_fields=["title", "due_date", "due_time", "due_at", "priority", "notes", "updated_at"])
        events.task_updated(task, actor, before)
    return task


def may_reassign(actor):
    return actor.has_perm("workbench.reassign_task")


def _team_member(actor, assignee):
    """The new assignee, when the actor's scope holds them (a supervisor: their subtree)."""
    if assignee is None or not Staff.objects.visible_to(actor).filter(pk=assignee.pk, is_active=True).exists():
        raise ValidationError({"assignee": _("Choose an active colleague of your team.")})
    return assignee


def reassign_task(task, actor, assignee):
    """Give an open task to a colleague of the actor's team; its due moment follows the new zone."""
    return bulk_reassign([task.pk], actor, assignee)[0]


def _visible_open(ids, actor):
    ids = {int(i) for i in ids}
    if not ids:
        raise ValidationError({"tasks": _("Choose at least one task.")})
    tasks = list(
        Task.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk__in=ids).select_related("assignee__branch")
    )
    if len(tasks) != len(ids):
        raise NotVisible
    if any(not t.is_open for t in tasks):
        raise ValidationError({"tasks": _("Only open tasks can be changed; clear the closed ones from the selection.")})
    return tasks


def bulk_reassign(ids, actor, assignee):
    """Reassign open tasks within the actor's scope (supervisor: the subtree) to one colleague."""
    if not may_reassign(actor):
        raise ValidationError(_("Only a supervisor may reassign tasks."))
    with transaction.atomic():
        tasks = _visible_open(ids, actor)
        _team_member(actor, assignee)
        _check_assignee(assignee, tasks[0].bank_id)
        for task in tasks:
            before = events.task_values(task)
            task.assignee = assignee
            task.due_at = due_moment(task.due_date, task.due_time, assignee.effective_timezone)
            task.save(update_fields=["assignee", "due_at", "updated_at"])
            events.task_reassigned(task, actor, before)
    return tasks


def bulk_complete(ids, actor, outcome=""):
    """Close open tasks of the actor's team as done (supervisor) or the actor's own."""
    with transaction.atomic():
        tasks = _visible_open(ids, actor)
        if not may_reassign(actor) and any(t.assignee_id != actor.pk for t in tasks):
            raise NotVisible
        return [close_task(task, actor, outcome=outcome) for task in tasks]


def task_from_contact(contact, actor):
    """The "next action" of a logged service contact becomes a task of whoever logged it
    (customers.profile.services.after_contact_logged, inside the contact's transaction)."""
    if not contact.next_action or actor is None or getattr(actor, "bank_id", None) != contact.bank_id:
        return None
    return create_task(
        assignee=actor,
        title=contact.next_action,
        actor=actor,
        customer=contact.customer,
        due_date=contact.next_action_date,
        source=Task.Source.CONTACT,
        source_key=f"contact:{contact.pk}",
        notes=contact.subject,
    )


def close_task(task, actor, *, status=Task.Status.DONE, outcome=""):
    """Mark an open task done or cancelled (a closed task stays closed)."""
    if status not in (Task.Status.DONE, Task.Status.CANCELLED):
        raise ValidationError({"status": _("A task is closed as done or cancelled.")})
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).get(pk=task.pk)
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


# --- what the desk reads (workbench.desk registrations; a fixed number of queries each) --------------------------------

BOARD_LIMIT = 50  # tasks per column of the board


def _zone(person):
    return zoneinfo.ZoneInfo(person.effective_timezone)


def week_end(day):
    """The Sunday of day's week (weeks run Monday to Sunday)."""
    return day + datetime.timedelta(days=6 - day.weekday())


def board(person, now=None, limit=BOARD_LIMIT):
    """The person's open tasks in three columns, computed in the person's own zone:
    overdue (due moment passed), today (due on their local today), this week (later this local week).
    Three queries."""
    now = now or timezone.now()
    today = local_today(person, now)
    mine = Task.objects.open().filter(assignee=person).select_related("customer").order_by("due_at", "-priority", "pk")
    return {
        "overdue": list(mine.filter(due_at__lte=now)[:limit]),
        "today": list(mine.filter(due_at__gt=now, due_date=today)[:limit]),
        "week": list(mine.filter(due_date__gt=today, due_date__lte=week_end(today))[:limit]),
        "today_date": today,
    }


def _label(task):
    if task.customer_id is None:
        return ""
    name = task.customer.name_local
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split())


def today_tasks(user, now):
    """Open tasks of this person due on their local today or overdue (one query)."""
    today = local_today(user, now)
    tomorrow_starts = due_moment(today, None, user.effective_timezone)
    rows = (
        Task.objects.open()
        .filter(assignee=user, due_at__lte=tomorrow_starts)
        .select_related("customer")
        .order_by("due_at", "-priority", "pk")[:BOARD_LIMIT]
    )
    return [
        desk.TodayItem(
            kind="tasks",
            title=task.title,
            url=links.url("task", task.pk),
            when=task.due_at,
            overdue=task.due_at <= now,
            customer_label=_label(task),
            actions=(desk.TodayAction(_("Done"), links.url("task_complete", task.pk)),),
        )
        for task in rows
    ]


def calendar_tasks(viewer, owner, start, end):
    """owner's tasks with a time, due between two instants (open and done; one query)."""
    rows = (
        Task.objects.filter(assignee=owner, due_time__isnull=False, due_at__gte=start, due_at__lt=end)
        .exclude(status=Task.Status.CANCELLED)
        .select_related("customer")
        .order_by("due_at", "pk")
    )
    bank_code = owner.bank.code if owner.bank_id else ""
    return [
        desk.CalendarEvent(
            kind="tasks",
            title=("✓ " if task.status == Task.Status.DONE else "") + task.title,
            start=task.due_at,
            end=task.due_at + datetime.timedelta(minutes=30),
            url=links.url("task", task.pk),
            customer_label=_label(task),
            uid=f"task-{task.pk}@{bank_code}",
            hide=(task.customer.name_local, task.customer.name_latin) if task.customer_id else (),
        )
        for task in rows
    ]


def tasks_done(person, start, end):
    """What the person closed as done between two instants (one query)."""
    rows = list(
        Task.objects.filter(assignee=person, status=Task.Status.DONE, closed_at__gte=start, closed_at__lt=end)
        .select_related("customer")
        .order_by("closed_at", "pk")
    )
    return [
        desk.ActivityLine(
            kind="tasks",
            label=_("Tasks done"),
            count=len(rows),
            details=[task.title + (f" ({_label(task)})" if task.customer_id else "") for task in rows],
        )
    ]


def create_tasks_from_select(*, bank_id, select_sql, params, title, due_date=None, source=Task.Source.CAMPAIGN, notes=""):
    """Create one open task per row of `select_sql` in one INSERT ... SELECT (a campaign's launch).

    `select_sql` returns (customer_id, assignee_id, source_key) rows; the due moment is the next
    local midnight after `due_date` in each assignee's own zone (due_moment's rule, in SQL). Rows
    whose source_key already made a task are skipped, so a relaunch creates nothing twice.
    Returns how many tasks were inserted (the caller audits the batch once)."""
    task, staff, branch = Task._meta.db_table, Staff._meta.db_table, Branch._meta.db_table
    sql = f"""
        INSERT INTO {task} (bank_id, title, customer_id, assignee_id, due_date, due_at, priority, status,
                            source, source_key, notes, outcome, created_at, updated_at)
        SELECT %(bank)s, %(title)s, src.customer_id, src.assignee_id, %(due)s::date,
               CASE WHEN %(due)s::date IS NULL THEN NULL ELSE
                    ((%(due)s::date + 1)::timestamp AT TIME ZONE COALESCE(NULLIF(s.time_zone, ''), b.timezone, %(zone)s)) END,
               %(priority)s, %(status)s, %(source)s, left(src.source_key, 150), %(notes)s, '', now(), now()
          FROM ({select_sql}) AS src(customer_id, assignee_id, source_key)
          JOIN {staff} s ON s.id = src.assignee_id AND s.is_active AND s.bank_id = %(bank)s
          LEFT JOIN {branch} b ON b.id = s.branch_id
        ON CONFLICT (bank_id, source, source_key) WHERE source_key <> '' DO NOTHING"""
    values = {
        **params,
        "bank": bank_id,
        "title": title.strip()[:200],
        "due": due_date,
        "zone": settings.TIME_ZONE,
        "priority": Task.Priority.NORMAL,
        "status": Task.Status.OPEN,
        "source": source,
        "notes": notes,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount
