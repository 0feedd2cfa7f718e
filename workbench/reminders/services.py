"""Reminders: the nightly generation, the delivery tick and what a person does with one.

generate(bank_id, business_date, branch_ids)
    One INSERT ... SELECT over every registered kind (workbench.reminders.kinds) and every active
    rule of the bank, for the customers of the given branches (one branch time zone: the job runs
    each zone after its local midnight, so a birthday is the customer's branch's local day) whose
    primary manager is active. ON CONFLICT DO NOTHING on the one-per-event constraint: a rerun for
    the same business date, a later night, an overlapping window insert nothing. Each row's
    `deliver_at` is computed in the same statement: 09:00 (reminders.delivery_hour) in the manager's
    own zone (their time_zone, else their branch's) on the first working day of the manager's branch
    (its working week, its holidays and its country's) on or after the reminder's local date; a
    timed kind's is its event's instant minus its lead in minutes. The zone arithmetic is
    PostgreSQL's (`local timestamp AT TIME ZONE zone`), so a daylight-saving change moves the UTC
    instant, never the local 09:00.

deliver_due(now)
    Marks the reminders whose delivery has come as delivered (one UPDATE ... RETURNING: a second
    tick finds nothing) and notifies each manager once per delivery moment (dedupe key).

snooze / dismiss / turn_into_task: one transaction each, a short reason kept, audited.
"""

import datetime
import zoneinfo
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from customers.master.models import Customer
from ocrm import links, parameters, tenants
from ocrm.audit import services as audit
from ocrm.errors import NotVisible, Refused
from ocrm.notifications.services import notify
from sysadmin.org.models import Branch, Holiday, Staff
from workbench import desk
from workbench.desk import TodayAction, TodayItem
from workbench.reminders import events, kinds
from workbench.reminders.models import Reminder, ReminderRule
from workbench.todo import services as tasks
from workbench.todo.models import Task

JOB = "workbench_reminders"
MAX_SNOOZE_DAYS = 30
# How far ahead the next working day is looked for (a branch closed longer than this delivers on the day).
WORKDAY_HORIZON_DAYS = 60

INSERT_COLUMNS = (
    "bank_id, kind, rule_id, customer_id, branch_id, manager_id, object_id, event_date, event_at, lead, "
    "remind_on, business_date, deliver_at, status, details, created_at, reason"
)


def candidate_selects(window, only=None):
    """(sql, params) of the union of every kind's SELECT for the window (None: nothing to do);
    `only`: a set of kind keys to limit it to (e.g. one appointment's reminder written on the spot)."""
    parts, params = [], {}
    off = kinds.switched_off(window)
    for kind in kinds.registered():
        if kind.key in off or (only is not None and kind.key not in only):
            continue
        found = kind.select(window)
        if found is not None:
            parts.append(found[0])
            params.update(found[1])
    rules = defaultdict(list)
    for rule in ReminderRule.objects.filter(bank_id=window.bank_id, is_active=True).order_by("pk"):
        rule_kind = kinds.RULE_KINDS.get(rule.rule_kind)
        if rule_kind is not None and (only is None or rule_kind.key in only):
            rules[rule_kind.key].append((rule.pk, rule.parameters))
    for key, found_rules in sorted(rules.items()):
        found = kinds.RULE_KINDS[key].select(window, found_rules)
        if found is not None:
            parts.append(found[0])
            params.update(found[1])
    if not parts:
        return None
    return "\nUNION ALL\n".join(f"({part})" for part in parts), params


class ReminderError(Exception):
    """The run cannot go ahead; the message says why (for operators)."""


def delivery_hour(bank_id):
    hour = parameters.get("reminders.delivery_hour", bank_id)
    if not isinstance(hour, int) or not 0 <= hour <= 23:
        raise ReminderError(f"System parameter reminders.delivery_hour must be an hour from 0 to 23, not {hour!r}.")
    return hour


def generation_sql(window, branch_ids, now, only=None):
    """The one statement of a run (and its parameters); returns (sql, params) or None."""
    found = candidate_selects(window, only)
    if found is None:
        return None
    union, params = found
    customer, staff, branch, holiday = (
        Customer._meta.db_table,
        Staff._meta.db_table,
        Branch._meta.db_table,
        Holiday._meta.db_table,
    )
    branch_filter = "AND c.branch_id = ANY(%(branches)s)" if branch_ids is not None else ""
    sql = f"""
        WITH cand ({kinds.COLUMNS}) AS ({union}),
        rows AS MATERIALIZED (
            SELECT cand.*, c.bank_id, c.branch_id AS customer_branch, s.id AS manager_id,
                   s.branch_id AS manager_branch,
                   COALESCE(NULLIF(s.time_zone, ''), mb.timezone, %(default_zone)s) AS zone,
                   CASE WHEN cand.event_at IS NULL THEN GREATEST(cand.event_date - cand.lead, %(day)s::date)
                        ELSE %(day)s::date END AS remind_on
            FROM cand
            JOIN {customer} c ON c.id = cand.customer_id
            -- A kind may name its own recipient (details.recipient_id: an appointment's owner);
            -- otherwise the customer's primary manager.
            JOIN {staff} s ON s.id = COALESCE((cand.details->>'recipient_id')::bigint, c.primary_manager_id) AND s.is_active
            LEFT JOIN {branch} mb ON mb.id = s.branch_id
            WHERE c.bank_id = %(bank)s AND c.merged_into_id IS NULL {branch_filter}
        ),
        pairs AS (SELECT DISTINCT manager_branch, remind_on FROM rows WHERE event_at IS NULL),
        workday AS (
            SELECT p.manager_branch, p.remind_on, COALESCE(w.day, p.remind_on) AS day
            FROM pairs p
            LEFT JOIN {branch} b ON b.id = p.manager_branch
            LEFT JOIN LATERAL (
                SELECT g::date AS day FROM generate_series(p.remind_on, p.remind_on + %(horizon)s, interval '1 day') g
                WHERE b.id IS NULL OR (
                    strpos(b.working_week, extract(isodow FROM g)::int::text) > 0
                    AND NOT EXISTS (
                        SELECT 1 FROM {holiday} h WHERE h.bank_id = b.bank_id AND h.date = g::date
                        AND (h.branch_id = b.id OR (h.branch_id IS NULL AND h.country = b.country))))
                ORDER BY g LIMIT 1
            ) w ON true
        )
        INSERT INTO {Reminder._meta.db_table} ({INSERT_COLUMNS})
        SELECT r.bank_id, r.kind, r.rule_id, r.customer_id, r.customer_branch, r.manager_id, r.object_id, r.event_date,
               r.event_at, r.lead, r.remind_on, %(day)s::date,
               CASE WHEN r.event_at IS NOT NULL THEN r.event_at - make_interval(mins => r.lead)
                    ELSE ((w.day + make_time(%(hour)s, 0, 0))::timestamp AT TIME ZONE r.zone) END,
               'pending', r.details, %(now)s, ''
        FROM rows r
        LEFT JOIN workday w ON w.manager_branch IS NOT DISTINCT FROM r.manager_branch AND w.remind_on = r.remind_on
        ON CONFLICT DO NOTHING"""
    params.update(
        bank=window.bank_id,
        day=window.business_date,
        branches=list(branch_ids) if branch_ids is not None else None,
        default_zone=settings.TIME_ZONE,
        horizon=WORKDAY_HORIZON_DAYS,
        hour=delivery_hour(window.bank_id),
        now=now,
    )
    return sql, params


def generate(bank_id, business_date, branch_ids=None, *, run=None, now=None):
    """Write the reminders of `business_date` for the customers of `branch_ids` (None: the whole
    bank); returns {"reminders_created": n}. Idempotent: a rerun inserts 0 rows."""
    window = kinds.Window(bank_id, business_date, Reminder._meta.db_table)
    statement = generation_sql(window, branch_ids, now or timezone.now())
    created = 0
    if statement is not None:
        with transaction.atomic(), connection.cursor() as cursor:
            # The planner's guess for the working-day look-up can pass the JIT thresholds: compiling
            # costs seconds and saves nothing on a statement that reads each row once.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(*statement)
            created = cursor.rowcount
    if run is not None:
        run.count(reminders_created=created)
        run.advance(1)
    return {"reminders_created": created}


def generate_scope(run, scope):
    counts = generate(scope.bank_id, scope.business_date, scope.branch_ids, run=run)
    events.reminders_generated(scope.bank_id, scope.business_date, tenants.zone_key(scope.zone), counts)


def move_customer_reminders(plan, actor, reason=""):
    """Open reminders follow their customers to the new manager (hand-over, transfer): plan is
    [(customer_id, from_manager_id, to_manager_id)], called inside the moving transaction. One
    statement (the customer's branch too, after a transfer); a reminder not yet delivered keeps its
    delivery moment. A reminder that names its own recipient (an appointment's: its owner, whose
    diary it is) stays with that person: the appointment does not change hands with the customer."""
    pairs = [(c, o, n) for c, o, n in plan if o is not None and n is not None and o != n]
    if not pairs:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {Reminder._meta.db_table} r SET manager_id = p.to_id, branch_id = c.branch_id
                FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS p(customer_id, from_id, to_id)
                JOIN {Customer._meta.db_table} c ON c.id = p.customer_id
                WHERE r.customer_id = p.customer_id AND r.manager_id = p.from_id AND r.status = ANY(%s)
                  AND r.details->>'recipient_id' IS NULL""",
            [[p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs], list(Reminder.OPEN_STATUSES)],
        )
        return cursor.rowcount


# --- delivery -----------------------------------------------------------------------------------


def deliver_due(now=None):
    """Mark every reminder whose delivery time has come as delivered and notify each manager once
    per delivery moment; returns how many were delivered."""
    now = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {Reminder._meta.db_table} SET status = %s, delivered_at = %s
                    WHERE status = %s AND deliver_at <= %s RETURNING manager_id, deliver_at""",
                [Reminder.Status.DELIVERED, now, Reminder.Status.PENDING, now],
            )
            delivered = cursor.fetchall()
        per_moment = defaultdict(int)
        for manager_id, deliver_at in delivered:
            per_moment[(manager_id, deliver_at)] += 1
        if per_moment:
            transaction.on_commit(lambda: _notify(per_moment))
    return len(delivered)


def _notify(per_moment):
    staff = {s.pk: s for s in Staff.objects.filter(pk__in={m for m, _at in per_moment}, is_active=True)}
    link = links.url("reminders")
    for (manager_id, deliver_at), count in sorted(per_moment.items(), key=lambda item: (item[0][0], item[0][1])):
        if manager_id not in staff:
            continue
        notify(
            [staff[manager_id]],
            gettext_lazy("Reminders"),
            lambda person, count=count: (
                ngettext("You have %(count)d new reminder.", "You have %(count)d new reminders.", count) % {"count": count}
            ),
            link=link,
            dedupe_key=f"reminders:{manager_id}:{deliver_at.astimezone(datetime.UTC):%Y%m%dT%H%M}",
        )


# --- what a person does with a reminder -----------------------------------------------------------


def _locked_open(reminder, actor):
    if not Reminder.objects.visible_to(actor).filter(pk=reminder.pk).exists():
        raise NotVisible
    locked = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if not locked.is_open:
        raise Refused(_("This reminder was already handled."))
    return locked


def _reason(reason, required=True):
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError({"reason": _("Give a short reason.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("Keep the reason under 300 characters.")})
    return reason


def snooze(reminder, actor, until, reason, now=None):
    """Hide the reminder until `until` (an aware instant, or a naive local time in the actor's zone)."""
    now = now or timezone.now()
    if until is None:
        raise ValidationError({"until": _("Give the date and time the reminder comes back.")})
    if timezone.is_naive(until):
        until = until.replace(tzinfo=zoneinfo.ZoneInfo(actor.effective_timezone))
    if until <= now:
        raise ValidationError({"until": _("Choose a time later than now.")})
    if until > now + datetime.timedelta(days=MAX_SNOOZE_DAYS):
        raise ValidationError({"until": _("Snooze for at most %(days)d days.") % {"days": MAX_SNOOZE_DAYS}})
    reason = _reason(reason)
    with transaction.atomic():
        locked = _locked_open(reminder, actor)
        before = locked.status
        locked.status, locked.snoozed_until, locked.reason = Reminder.Status.SNOOZED, until, reason
        locked.acted_at, locked.acted_by = now, actor
        locked.save(update_fields=["status", "snoozed_until", "reason", "acted_at", "acted_by"])
        events.reminder_snoozed(locked, actor, before)
    return locked


def dismiss(reminder, actor, reason, now=None):
    reason = _reason(reason)
    with transaction.atomic():
        locked = _locked_open(reminder, actor)
        before = locked.status
        locked.status, locked.reason = Reminder.Status.DISMISSED, reason
        locked.acted_at, locked.acted_by = now or timezone.now(), actor
        locked.save(update_fields=["status", "reason", "acted_at", "acted_by"])
        events.reminder_dismissed(locked, actor, before)
    return locked


def turn_into_task(reminder, actor, now=None):
    """A task for the reminder's manager, due on the event's date (never before today in their
    zone); created through workbench.todo.services, idempotent by source_key."""
    with transaction.atomic():
        locked = _locked_open(reminder, actor)
        before = locked.status
        due = max(locked.event_date, tasks.local_today(locked.manager, now))
        task = tasks.create_task(
            assignee=locked.manager,
            actor=actor,
            title=locked.title,
            customer=locked.customer,
            due_date=due,
            source=Task.Source.REMINDER,
            source_key=f"reminder:{locked.pk}",
        )
        locked.status, locked.task = Reminder.Status.TASKED, task
        locked.acted_at, locked.acted_by = now or timezone.now(), actor
        locked.save(update_fields=["status", "task", "acted_at", "acted_by"])
        events.reminder_tasked(locked, actor, before)
    return locked


# --- the dashboard's today list (workbench.desk.register_today) -------------------------------------

TODAY_LIMIT = 50


def today_items(user, now=None):
    """The reminders that need this manager now (one query)."""
    rows = (
        Reminder.objects.filter(manager=user, bank_id=user.bank_id)
        .due(now)
        .select_related("customer", "rule")
        .order_by("deliver_at", "id")[:TODAY_LIMIT]
    )
    return [
        TodayItem(
            kind="reminders",
            title=row.title,
            url=links.url("reminder", row.pk),
            when=row.deliver_at,
            customer_label=row.customer.name_local,
            actions=(
                TodayAction(_("Turn into a task"), links.url("reminder_task", row.pk)),
                TodayAction(_("Snooze"), links.url("reminder", row.pk) + "#snooze", method="get"),
                TodayAction(_("Dismiss"), links.url("reminder_dismiss", row.pk), asks_reason=True),
            ),
        )
        for row in rows
    ]


def register_audit():
    """Rules change in Django admin: the safety net audits them (reminders change through the services' events)."""
    audit.register(ReminderRule)


def register_desk():
    desk.register_today("reminders", gettext_lazy("Reminders"), today_items, order=20, perm="workbench.view_reminder")
