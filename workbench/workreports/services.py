"""Work reports: the draft made from what the person recorded, saving and submitting it, a
supervisor's comment (the author is notified), and who has not submitted this week.

A period is a day (daily) or a Monday-to-Sunday week (weekly) of the author's own calendar; what
happened in it is read between the local midnights of the author's zone."""

import datetime
import zoneinfo
from dataclasses import asdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.master.models import ServiceContact
from customers.ownership.assignment.models import AssignmentChange
from ocrm import links
from ocrm.audit import services as audit
from ocrm.errors import NotVisible, Refused
from ocrm.notifications.services import notify
from sysadmin.org.models import Staff
from workbench import desk
from workbench.dashboard.models import DeskDismissal
from workbench.workreports import events
from workbench.workreports.models import WorkReport, WorkReportComment

DETAIL_LINES = 10
WRITE_PERM = "workbench.add_workreport"
COMMENT_PERM = "workbench.comment_workreport"


def period_of(kind, day):
    """(first day, last day) of the report of `kind` that holds `day`."""
    if kind == WorkReport.Kind.WEEKLY:
        start = day - datetime.timedelta(days=day.weekday())
        return start, start + datetime.timedelta(days=6)
    return day, day


def local_today(person, now=None):
    return timezone.localtime(now or timezone.now(), zoneinfo.ZoneInfo(person.effective_timezone)).date()


def bounds(person, start, end):
    """The instants between which the days start..end (inclusive) of the person's calendar lie."""
    zone = zoneinfo.ZoneInfo(person.effective_timezone)
    return (
        datetime.datetime.combine(start, datetime.time(), zone),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), zone),
    )


def recorded_activity(person, start, end):
    """What every registered activity source says the person did between two local days."""
    since, until = bounds(person, start, end)
    lines = []
    for source in desk.activity_sources(person):
        lines.extend(source.function(person, since, until))
    return [{**asdict(line), "label": str(line.label), "details": [str(d) for d in line.details]} for line in lines]


def draft_summary(activity):
    """The text a draft starts with: one line per activity, its details below it."""
    text = []
    for line in activity:
        text.append(f"{line['label']}: {line['count']}")
        text.extend(f"  - {detail}" for detail in line["details"])
    return "\n".join(text)


def open_draft(person, kind, day=None):
    """The person's report of the period holding `day` (today in their zone): the one that exists,
    else a new draft pre-filled from their recorded activity."""
    if not person.has_perm(WRITE_PERM) or person.bank_id is None:
        raise Refused(_("You do not write work reports."))
    if kind not in WorkReport.Kind.values:
        raise ValidationError({"kind": _("Choose a daily or a weekly report.")})
    day = day or local_today(person)
    start, end = period_of(kind, day)
    existing = WorkReport.objects.filter(author=person, kind=kind, period_start=start).first()
    if existing is not None:
        return existing
    activity = recorded_activity(person, start, end)
    try:
        with transaction.atomic():
            report = WorkReport.objects.create(
                bank_id=person.bank_id,
                author=person,
                kind=kind,
                period_start=start,
                period_end=end,
                activity=activity,
                summary=draft_summary(activity),
            )
            events.report_drafted(report, person)
    except IntegrityError:  # the same draft opened twice at once
        return WorkReport.objects.get(author=person, kind=kind, period_start=start)
    return report


def refresh_activity(report, actor):
    """Read the activity again into a draft (what was recorded since it was opened)."""
    _check_author(report, actor)
    report.activity = recorded_activity(actor, report.period_start, report.period_end)
    report.save(update_fields=["activity", "updated_at"])
    return report


def _check_author(report, actor):
    if report.author_id != actor.pk:
        raise NotVisible
    if not report.is_draft:
        raise Refused(_("This report was submitted; it can no longer be changed."))


def save_report(report, actor, *, summary, plan, submit=False):
    """Save a draft (and submit it): only its author, only while it is a draft."""
    _check_author(report, actor)
    summary, plan = (summary or "").strip(), (plan or "").strip()
    if submit and not summary:
        raise ValidationError({"summary": _("Say what you did before you submit the report.")})
    before = {"summary": report.summary, "plan": report.plan, "status": report.status}
    with transaction.atomic():
        report.summary, report.plan = summary, plan
        if submit:
            report.status = WorkReport.Status.SUBMITTED
            report.submitted_at = timezone.now()
        report.save()
        events.report_saved(report, actor, before)
    return report


def comment(report, actor, text):
    """上级反馈: a supervisor's comment on a report of their subtree; the author is notified."""
    if not actor.has_perm(COMMENT_PERM):
        raise Refused(_("You may not comment on work reports."))
    if not WorkReport.objects.visible_to(actor).filter(pk=report.pk).exists():
        raise NotVisible
    if report.author_id == actor.pk:
        raise Refused(_("You cannot comment on your own report."))
    if report.is_draft:
        raise Refused(_("The report has not been submitted yet."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the comment.")})
    with transaction.atomic():
        row = WorkReportComment.objects.create(bank_id=report.bank_id, report=report, author=actor, text=text)
        events.report_commented(row, actor)
        notify(
            [report.author],
            lambda _recipient: _("%(name)s commented on your %(report)s") % {"name": actor.display_name, "report": str(report)},
            text[:500],
            link=links.url("work_report", report.pk),
            dedupe_key=f"workreport-comment:{row.pk}",
        )
    return row


def writers_visible_to(supervisor):
    """The active people of the supervisor's scope who write work reports (not the supervisor)."""
    writers = Staff.objects.with_perm(WRITE_PERM, include_superusers=False, backend=settings.AUTHENTICATION_BACKENDS[0]).values(
        "pk"
    )
    return (
        Staff.objects.visible_to(supervisor)
        .filter(is_active=True, pk__in=writers)
        .exclude(pk=supervisor.pk)
        .select_related("branch")
        .order_by("branch__path", "username")
    )


def not_submitted(supervisor, week_start):
    """Who in the supervisor's scope has no submitted weekly report for the week from week_start."""
    submitted = WorkReport.objects.filter(
        kind=WorkReport.Kind.WEEKLY, period_start=week_start, status=WorkReport.Status.SUBMITTED
    ).values("author_id")
    return writers_visible_to(supervisor).exclude(pk__in=submitted)


# --- activity sources of customers' records (the other areas register theirs) ------------------


def contacts_logged(person, since, until):
    """Service contacts the person logged (customers.master ServiceContact)."""
    contacts = ServiceContact.objects.filter(bank_id=person.bank_id, staff=person, occurred_at__gte=since, occurred_at__lt=until)
    count = contacts.count()
    if not count:
        return []
    zone = zoneinfo.ZoneInfo(person.effective_timezone)
    details = [
        f"{timezone.localtime(row['occurred_at'], zone):%m-%d %H:%M} {row['customer__name_local']}: {row['subject']}"
        for row in contacts.order_by("occurred_at").values("occurred_at", "subject", "customer__name_local")[:DETAIL_LINES]
    ]
    return [desk.ActivityLine("contacts", _("Service contacts logged"), count, details)]


def customers_gained_and_lost(person, since, until):
    """Customers that came to the person or left them (customers.ownership.assignment AssignmentChange)."""
    moves = AssignmentChange.objects.filter(bank_id=person.bank_id, at__gte=since, at__lt=until)
    rows = list(
        moves.filter(Q(to_manager=person) | Q(from_manager=person))
        .exclude(Q(to_manager=person) & Q(from_manager=person))
        .values("to_manager_id", "customer__number", "customer__name_local", "kind")
        .order_by("customer__number")
    )
    gained = [row for row in rows if row["to_manager_id"] == person.pk]
    lost = [row for row in rows if row["to_manager_id"] != person.pk]
    labels = dict(AssignmentChange.Kind.choices)
    lines = []
    for kind, label, group in (("gained", _("Customers gained"), gained), ("lost", _("Customers lost"), lost)):
        if group:
            details = [
                f"{row['customer__number']} {row['customer__name_local']} ({labels.get(row['kind'], row['kind'])})"
                for row in group[:DETAIL_LINES]
            ]
            lines.append(desk.ActivityLine(f"customers_{kind}", label, len(group), details))
    return lines


def register_activity_sources():
    desk.register_activity("contacts", _("Service contacts logged"), contacts_logged, order=10)
    desk.register_activity("customers_moved", _("Customers gained or lost"), customers_gained_and_lost, order=40)


def register_audit():
    audit.register(WorkReport)
    audit.register(WorkReportComment)
    audit.register(DeskDismissal)
