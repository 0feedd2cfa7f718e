"""The step time-limit reminder (a timed kind of workbench.reminders, registered from
WorkbenchConfig.ready() with `register()`): a request in processing whose current step has a time
limit (`hours` in the type's steps) is reminded when the limit runs out, to the manager who
prepared it (a reminder goes to one colleague; the step's role is named in its text).

Like the calendar's appointments, the services keep it in step on the spot (`refresh`, inside their
transaction) whenever a step starts: the open reminders of the request are dropped and the one of
the new step written through the reminders' own generation statement limited to this kind and this
request. The nightly run writes those whose limit falls in its window (two days from the business
date, UTC), so a reminder lost to a failure is written again."""

import dataclasses
import datetime

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workbench.reminders import kinds
from workbench.reminders import services as reminders
from workbench.reminders.models import Reminder
from workbench.servicerequests.models import ServiceRequest, ServiceRequestType

KIND = "service_request_step"
WINDOW_DAYS = 2


@dataclasses.dataclass(frozen=True)
class RequestWindow(kinds.Window):
    request_id: int | None = None


def select(window):
    one = "AND r.id = %(svc_req_id)s" if getattr(window, "request_id", None) else ""
    deadline = "(r.step_started_at + make_interval(hours => (t.steps -> r.step_index ->> 'hours')::int))"
    sql = f"""
        SELECT 'service_request_step'::text, NULL::bigint, r.customer_id, r.id, ({deadline} AT TIME ZONE 'UTC')::date,
               0::int, {deadline},
               jsonb_build_object('reference', r.reference, 'step', t.steps -> r.step_index ->> 'name',
                                  'role', coalesce(t.steps -> r.step_index ->> 'role', ''),
                                  'deadline', to_char({deadline} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                  'recipient_id', r.created_by_id)
        FROM {ServiceRequest._meta.db_table} r JOIN {ServiceRequestType._meta.db_table} t ON t.id = r.request_type_id
        WHERE r.bank_id = %(bank)s AND r.status = 'processing' AND r.step_started_at IS NOT NULL {one}
          AND jsonb_typeof(t.steps -> r.step_index -> 'hours') = 'number'
          AND {deadline} >= (%(day)s::date)::timestamp AT TIME ZONE 'UTC'
          AND {deadline} < (%(day)s::date + %(svc_days)s::int)::timestamp AT TIME ZONE 'UTC'"""
    return sql, {"svc_days": WINDOW_DAYS, "svc_req_id": getattr(window, "request_id", None)}


def describe(event_date, details):
    when = details.get("deadline", "")
    try:
        when = timezone.localtime(datetime.datetime.fromisoformat(when.replace("Z", "+00:00"))).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        pass
    return _("Service request %(reference)s: the step “%(step)s” (%(role)s) is due at %(time)s") % {
        "reference": details.get("reference", ""),
        "step": _(details.get("step") or ""),
        "role": details.get("role", ""),
        "time": when,
    }


def register():
    kinds.register(kinds.Kind(KIND, gettext_lazy("Service request step due"), select, describe, timed=True, order=55))


def refresh(request, now=None):
    """Inside the caller's transaction, after a step started (or the request left processing): the
    request's open step reminders go, the current step's is written when due in the window."""
    now = now or timezone.now()
    Reminder.objects.filter(kind=KIND, rule__isnull=True, object_id=request.pk, status__in=Reminder.OPEN_STATUSES).delete()
    if request.status != ServiceRequest.Status.PROCESSING:
        return 0
    window = RequestWindow(request.bank_id, now.astimezone(datetime.UTC).date(), Reminder._meta.db_table, request_id=request.pk)
    statement = reminders.generation_sql(window, None, now, only={KIND})
    if statement is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        return cursor.rowcount
