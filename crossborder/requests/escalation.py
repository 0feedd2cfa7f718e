"""Escalation of open cross-border requests when 80% and 100% of their service time is used.

One scan over the open requests, grouped by receiving branch: one calendar per branch, the used
share of every request from its offsets (two bisects each). Each recipient (the officer handling
it, else the receiving branch's officers; and the requester) is told only inside their own
quiet-hours rule: never between 22:00 and 07:00 local (so never at local midnight) nor on a
weekend day of their branch's working week. A recipient outside that window is told on a later
tick; the dedupe key makes sure nobody is told twice."""

import datetime
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crossborder.requests import services
from crossborder.requests.clock import to_ts
from crossborder.requests.models import CLOSED_STATUSES, CrossBorderRequest
from ocrm.notifications.services import notify
from sysadmin.org.models import Staff

QUIET_FROM, QUIET_UNTIL = datetime.time(22, 0), datetime.time(7, 0)
LEVELS = (
    (1.0, "escalated_100_at", _("Cross-border request overdue")),
    (0.8, "escalated_80_at", _("Cross-border request: 80% of the time used")),
)


def may_tell_now(staff, now):
    """Not at night (22:00-07:00 local) and not on a non-working day of the person's branch."""
    if staff.time_zone:
        zone = ZoneInfo(staff.time_zone)
    else:
        zone = staff.branch.tzinfo if staff.branch_id else datetime.UTC
    local = now.astimezone(zone)
    week = staff.branch.working_week if staff.branch_id else "12345"
    if str(local.isoweekday()) not in week:
        return False
    clock = local.time()
    return QUIET_UNTIL <= clock < QUIET_FROM


def scan(now=None):
    """Returns {"80": n, "100": n}: requests whose level was fully told in this tick."""
    now = now or timezone.now()
    open_requests = (
        CrossBorderRequest.objects.exclude(status__in=CLOSED_STATUSES)
        .filter(Q(escalated_80_at__isnull=True) | Q(escalated_100_at__isnull=True))
        .select_related("to_branch", "from_branch", "requested_by__branch", "assigned_to__branch", "service_type")
    )
    by_branch = defaultdict(list)
    for request in open_requests:
        by_branch[request.to_branch_id].append(request)
    told = {"80": 0, "100": 0}
    officers_cache = {}
    for requests in by_branch.values():
        branch = requests[0].to_branch
        calendar = services.calendar_for(branch, min(request.submitted_at for request in requests))
        now_offset = calendar.offset(to_ts(now))
        for request in requests:
            start_offset = calendar.offset(to_ts(request.submitted_at))
            used = (now_offset - start_offset) / request.sla_seconds if request.sla_seconds else 1
            for threshold, field, title in LEVELS:
                if used < threshold or getattr(request, field):
                    continue
                if request.assigned_to_id:
                    receivers = [request.assigned_to]
                else:
                    if branch.pk not in officers_cache:
                        officers_cache[branch.pk] = list(
                            Staff.objects.filter(
                                branch=branch, is_active=True, groups__name=services.OFFICER_ROLE
                            ).select_related("branch")
                        )
                    receivers = officers_cache[branch.pk]
                recipients = [*receivers, request.requested_by]
                now_ok = [person for person in recipients if may_tell_now(person, now)]
                notify(
                    now_ok,
                    title,
                    str(request),
                    link=f"/crossborder/requests/{request.pk}/",
                    dedupe_key=f"xborder:{request.pk}:{int(threshold * 100)}",
                )
                if len(now_ok) == len(recipients):
                    # Overdue implies the 80% level: it is not sent afterwards.
                    fields = {field: now, "escalated_80_at": request.escalated_80_at or now}
                    CrossBorderRequest.objects.filter(pk=request.pk).update(**fields)
                    told[str(int(threshold * 100))] += 1
                break  # the higher level first; the lower one is implied
    return told
