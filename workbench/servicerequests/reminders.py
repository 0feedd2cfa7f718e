"""Step time limits. A step with `hours` in its type is due `hours` after it started
(`ServiceRequest.step_due_at`, set by the services whenever a step starts). When it runs out, the
holders of the step's role at the processing branch hear of it in-app (ocrm.notifications), once per
step: `notify_due` runs every 10 minutes from beat (migration 0030, task
`workbench.tasks.service_request_step_reminders`). The recipients are those who pick the step up
from their queue: active staff of the bank holding the role whose branch is the processing branch;
when nobody there holds it, those of the nearest branch above it that has holders (the queue of a
branch's parent shows the request too).

Overdue steps also stand on the holders' today list (workbench.desk, `register()`)."""

import datetime
import zoneinfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ocrm import links
from ocrm.notifications import services as notifications
from sysadmin.org.models import Staff
from workbench import desk
from workbench.servicerequests.models import ServiceRequest

KIND = "service_request_step"
BATCH = 500
TODAY_LIMIT = 20


def _ancestor_paths(path):
    """'/1/5/9/' -> ['/1/5/9/', '/1/5/', '/1/'] (the branch first, then each one above)."""
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(len(parts), 0, -1)]


def recipients(requests):
    """{request pk: [Staff]}: the role's holders at the processing branch, else at the nearest branch
    above it that has some. Two queries whatever the number of requests."""
    wanted_roles = {r.step_role for r in requests if r.step_role}
    paths = {p for r in requests if r.processing_branch_id for p in _ancestor_paths(r.processing_branch.path)}
    if not wanted_roles or not paths:
        return {}
    holders = list(
        Staff.objects.filter(is_active=True, groups__name__in=wanted_roles, branch__path__in=paths)
        .select_related("branch")
        .prefetch_related("groups")
        .distinct()
    )
    by_branch_role = {}
    for staff in holders:
        for group in staff.groups.all():
            by_branch_role.setdefault((staff.bank_id, staff.branch.path, group.name), []).append(staff)
    found = {}
    for request in requests:
        if not request.step_role or request.processing_branch_id is None:
            continue
        for path in _ancestor_paths(request.processing_branch.path):
            staff = by_branch_role.get((request.bank_id, path, request.step_role))
            if staff:
                found[request.pk] = staff
                break
    return found


def _title(request, step_name, role):
    due = request.step_due_at

    def render(recipient):
        zone = zoneinfo.ZoneInfo(getattr(recipient, "effective_timezone", None) or "UTC")
        return _("Service request %(reference)s: the step “%(step)s” (%(role)s) was due at %(time)s") % {
            "reference": request.reference,
            "step": _(step_name),
            "role": _(str(role)),
            "time": due.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        }

    return render


def notify_due(now=None):
    """Notify the holders of every step whose time limit ran out and who were not told yet; marks the
    steps reminded (a second run finds nothing; a step that starts again is due again)."""
    from workbench.servicerequests.services import role_label  # noqa: PLC0415 - services import this module

    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = list(
            ServiceRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=ServiceRequest.Status.PROCESSING, step_due_at__lte=now, step_reminded_at__isnull=True)
            .select_related("request_type", "processing_branch")
            .order_by("step_due_at", "pk")[:BATCH]
        )
        if not due:
            return 0
        found = recipients(due)
        for request in due:
            staff = found.get(request.pk)
            if not staff:
                continue
            steps = request.request_type.steps or []
            step = steps[request.step_index] if request.step_index < len(steps) else {}
            notifications.notify(
                staff,
                _title(request, step.get("name", ""), role_label(request.step_role)),
                link=links.url("service_request_step", request.pk),
                level="warning",
                dedupe_key=f"svcreq-step:{request.reference}:{request.step_index}:{request.step_due_at:%Y%m%dT%H%M%S}",
            )
            sent += 1
        ServiceRequest.objects.filter(pk__in=[r.pk for r in due]).update(step_reminded_at=now)
    return sent


def today_items(user, now=None):
    """The overdue steps of the user's queues (two queries)."""
    from workbench.servicerequests.services import performer_queryset  # noqa: PLC0415 - services import this module

    now = now or timezone.now()
    rows = (
        performer_queryset(user)
        .filter(Q(status=ServiceRequest.Status.PROCESSING), step_due_at__lte=now + datetime.timedelta(hours=1))
        .select_related("request_type")
        .order_by("step_due_at", "pk")[:TODAY_LIMIT]
    )
    items = []
    for row in rows:
        steps = row.request_type.steps or []
        step = steps[row.step_index] if row.step_index < len(steps) else {}
        items.append(
            desk.TodayItem(
                kind=KIND,
                title=_("%(reference)s: %(step)s") % {"reference": row.reference, "step": _(step.get("name", ""))},
                url=links.url("service_request_step", row.pk),
                when=row.step_due_at,
                overdue=row.step_due_at <= now,
                actions=(desk.TodayAction(_("Open"), links.url("service_request_step", row.pk), method="get"),),
            )
        )
    return items


def register():
    """Called from WorkbenchConfig.ready(): the overdue steps on the performers' today list."""
    desk.register_today(
        KIND,
        gettext_lazy("Service request steps due"),
        today_items,
        order=55,
        perm="workbench.process_servicerequest",
    )
