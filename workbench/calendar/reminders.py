"""The appointment reminder (事件提醒: "appointment, M minutes before"): a timed kind of
workbench.reminders, registered from WorkbenchConfig.ready() with `register()`.

Which appointments: planned ones with a customer that start within the run's window, from the
business date's 00:00 UTC to two days later (UTC), and have not started yet. Two days cover the
local day of every branch zone whatever hour its nightly run has; the unique key (kind, event
object, event date = the UTC date of the start, lead) keeps one reminder per appointment and lead
whatever the overlapping windows and reruns. Lead: the bank's `reminders.appointment_minutes`;
delivered at start - lead (the reminders' generation computes it), to the appointment's owner (who
holds the appointment, not necessarily the customer's primary manager; `recipient_id` in the details).

The calendar services keep it in step in their own transaction (`refresh`): creating an
appointment, moving it, changing its start or customer, cancelling it deletes the open reminders
of that appointment and writes the new one through the same generation statement limited to this
kind and this appointment (when it starts within the current window; later ones are left to the
nightly run). A cancelled appointment's reminder is therefore never delivered, a moved one is
delivered for its new time only. (A reminder already dismissed or turned into a task is kept as
history; it holds the unique key of its UTC day, so a move within that day writes no new one.)
"""

import dataclasses
import datetime

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workbench.calendar.models import Appointment
from workbench.reminders import kinds
from workbench.reminders import services as reminders
from workbench.reminders.models import Reminder

KIND = "appointment"
WINDOW_DAYS = 2


@dataclasses.dataclass(frozen=True)
class AppointmentWindow(kinds.Window):
    """A window limited to one appointment (the calendar services' on-the-spot refresh)."""

    appointment_id: int | None = None


def select(window):
    lead = window.param("reminders.appointment_minutes")
    one = "AND a.id = %(appt_id)s" if getattr(window, "appointment_id", None) else ""
    sql = f"""
        SELECT 'appointment'::text, NULL::bigint, a.customer_id, a.id, (a.start AT TIME ZONE 'UTC')::date,
               %(l_appt)s::int, a.start,
               jsonb_build_object('title', left(a.title, 100),
                                  'start', to_char(a.start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                  'recipient_id', a.owner_id)
        FROM {Appointment._meta.db_table} a
        WHERE a.bank_id = %(bank)s AND a.status = 'planned' AND a.customer_id IS NOT NULL {one}
          AND a.start >= (%(day)s::date)::timestamp AT TIME ZONE 'UTC'
          AND a.start < (%(day)s::date + %(appt_days)s::int)::timestamp AT TIME ZONE 'UTC'
          AND a.start > %(now)s"""
    return sql, {"l_appt": lead, "appt_days": WINDOW_DAYS, "appt_id": getattr(window, "appointment_id", None)}


def describe(event_date, details):
    start = details.get("start")
    when = ""
    if start:
        try:
            when = timezone.localtime(datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            when = start
    return _("Appointment “%(title)s” at %(time)s") % {"title": details.get("title", ""), "time": when}


def register():
    kinds.register(kinds.Kind(KIND, gettext_lazy("Appointment"), select, describe, timed=True, order=50))


def refresh(appointment, now=None):
    """Called inside the calendar service's transaction after the appointment was saved: drop the
    open reminders of the appointment and write its reminder anew when it is due in the current
    window. Returns how many reminders were written (0 or 1)."""
    now = now or timezone.now()
    Reminder.objects.filter(kind=KIND, rule__isnull=True, object_id=appointment.pk, status__in=Reminder.OPEN_STATUSES).delete()
    if appointment.status != Appointment.Status.PLANNED or appointment.customer_id is None:
        return 0
    window = AppointmentWindow(
        appointment.bank_id, now.astimezone(datetime.UTC).date(), Reminder._meta.db_table, appointment_id=appointment.pk
    )
    statement = reminders.generation_sql(window, None, now, only={KIND})
    if statement is None:  # the bank switched appointment reminders off
        return 0
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        return cursor.rowcount
