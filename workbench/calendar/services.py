"""The calendar: appointments (create, change, move, cancel; audited), a person's diary drawn from
every registered calendar source (workbench.desk) with the holidays of their branch, and the
personal iCalendar feed at a secret, revocable address.

    from workbench.calendar import services as calendar
    calendar.create_appointment(actor, title=..., start=aware, end=aware, customer=c, attendees=[...])
"""

import datetime
import hashlib
import secrets
import zoneinfo
from dataclasses import dataclass

import icalendar
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.master.models import Customer
from customers.master.views import mask_name
from ocrm import links, parameters, pii
from ocrm.errors import NotVisible
from sysadmin.org.models import Holiday, Staff
from workbench import desk
from workbench.calendar import events
from workbench.calendar import reminders as appointment_reminders
from workbench.calendar.models import Appointment, CalendarFeed

PARAMETERS = {
    "calendar.feed_customer_names": (
        "bool",
        "true",
        gettext_lazy("Personal calendar feeds (iCalendar) show the customer's masked name (王**); off: no customer name at all."),
    ),
    "calendar.feed_days_back": ("int", "30", gettext_lazy("Days of past diary entries a personal calendar feed holds.")),
    "calendar.feed_days_ahead": ("int", "180", gettext_lazy("Days of coming diary entries a personal calendar feed holds.")),
}

MAX_ATTENDEES = 20
MAX_LENGTH = datetime.timedelta(days=14)


def customer_label(customer):
    """How a customer is named in a diary (pages and feed): the masked name only."""
    return mask_name(customer.name_local) if customer is not None else ""


# --- appointments ----------------------------------------------------------------------------------------------------


def _check(actor, owner, title, start, end, customer, attendees):
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Give the appointment a title.")
    if start is None or timezone.is_naive(start):
        errors["start"] = _("Enter when the appointment starts.")
    if end is None or timezone.is_naive(end):
        errors["end"] = _("Enter when the appointment ends.")
    elif start is not None and not timezone.is_naive(start):
        if end <= start:
            errors["end"] = _("The end must come after the start.")
        elif end - start > MAX_LENGTH:
            errors["end"] = _("An appointment lasts at most 14 days.")
    if owner is None or owner.bank_id != actor.bank_id or not owner.is_active:
        errors["owner"] = _("Choose an active colleague of the same bank.")
    attendees = list(attendees or ())
    if len(attendees) > MAX_ATTENDEES:
        errors["attendees"] = _("At most %(n)d attendees.") % {"n": MAX_ATTENDEES}
    elif any(a.bank_id != actor.bank_id or not a.is_active for a in attendees):
        errors["attendees"] = _("Attendees are active colleagues of the same bank.")
    if customer is not None and customer.bank_id != actor.bank_id:
        errors["customer"] = _("Choose a customer of your bank.")
    if errors:
        raise ValidationError(errors)


def _check_owner_in_scope(actor, owner):
    if owner.pk != actor.pk and not Staff.objects.visible_to(actor).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("You may plan only your own diary and your team's.")})


def _check_customer_in_scope(actor, customer):
    if customer is not None and not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise NotVisible


def create_appointment(actor, *, title, start, end, owner=None, customer=None, attendees=(), location="", channel="", notes=""):
    owner = owner or actor
    attendees = [a for a in attendees or () if a.pk != owner.pk]
    _check(actor, owner, title, start, end, customer, attendees)
    _check_owner_in_scope(actor, owner)
    _check_customer_in_scope(actor, customer)
    with transaction.atomic():
        appointment = Appointment.objects.create(
            bank_id=actor.bank_id,
            title=title.strip()[:200],
            customer=customer,
            owner=owner,
            start=start,
            end=end,
            location=(location or "").strip()[:200],
            channel=channel or Appointment.Channel.VISIT,
            notes=(notes or "").strip(),
            created_by=actor,
        )
        appointment.attendees.set(attendees)
        events.appointment_created(appointment, actor, [a.pk for a in attendees])
        appointment_reminders.refresh(appointment)  # one starting within the window is reminded without waiting for the night
    return appointment


def _locked(appointment, actor):
    found = Appointment.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=appointment.pk).first()
    if found is None:
        raise NotVisible
    if found.status == Appointment.Status.CANCELLED:
        raise ValidationError(_("This appointment was cancelled."))
    return found


def update_appointment(appointment, actor, *, title, start, end, customer=None, attendees=(), location="", channel="", notes=""):
    with transaction.atomic():
        appointment = _locked(appointment, actor)
        attendees = [a for a in attendees or () if a.pk != appointment.owner_id]
        _check(actor, appointment.owner, title, start, end, customer, attendees)
        _check_customer_in_scope(actor, customer)
        before = events.appointment_values(appointment, list(appointment.attendees.values_list("pk", flat=True)))
        reminded = (appointment.start, appointment.customer_id)
        appointment.title = title.strip()[:200]
        appointment.start, appointment.end = start, end
        appointment.customer = customer
        appointment.location = (location or "").strip()[:200]
        appointment.channel = channel or appointment.channel
        appointment.notes = (notes or "").strip()
        appointment.save()
        appointment.attendees.set(attendees)
        events.appointment_changed(appointment, actor, before, [a.pk for a in attendees])
        if (appointment.start, appointment.customer_id) != reminded:
            appointment_reminders.refresh(appointment)
    return appointment


def move_appointment(appointment, actor, start, end=None):
    """Move an appointment to a new start (keeping its length unless an end is given)."""
    with transaction.atomic():
        appointment = _locked(appointment, actor)
        end = end or (start + (appointment.end - appointment.start) if start is not None else None)
        _check(actor, appointment.owner, appointment.title, start, end, None, ())
        before = events.appointment_values(appointment)
        before_start = appointment.start
        appointment.start, appointment.end = start, end
        moved = appointment.start != before_start
        appointment.save(update_fields=["start", "end", "updated_at"])
        events.appointment_moved(appointment, actor, before)
        if moved:
            appointment_reminders.refresh(appointment)  # the old time's reminder goes, the new time's comes
    return appointment


def cancel_appointment(appointment, actor):
    with transaction.atomic():
        appointment = _locked(appointment, actor)
        before = events.appointment_values(appointment)
        appointment.status = Appointment.Status.CANCELLED
        appointment.save(update_fields=["status", "updated_at"])
        events.appointment_cancelled(appointment, actor, before)
        appointment_reminders.refresh(appointment)  # its open reminders go: never delivered
    return appointment


# --- the diary -------------------------------------------------------------------------------------------------------


def person_zone(person):
    return zoneinfo.ZoneInfo(person.effective_timezone)


def local_bounds(person, first_day, last_day):
    """The instants between which a person's local days first_day..last_day lie."""
    zone = person_zone(person)
    start = datetime.datetime.combine(first_day, datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
    return start, end


@dataclass(frozen=True)
class DayOff:
    date: datetime.date
    name: str


def days_off(person, first_day, last_day):
    """{date: DayOff} of the person's branch between two local dates: holidays (of the branch, or of
    its country) and the days outside the branch's working week. One query."""
    branch = person.branch
    if branch is None:
        return {}
    found = {}
    day = first_day
    while day <= last_day:
        if str(day.isoweekday()) not in branch.working_week:
            found[day] = DayOff(day, "")
        day += datetime.timedelta(days=1)
    holidays = Holiday.objects.filter(bank_id=branch.bank_id, date__range=(first_day, last_day)).filter(
        Q(branch=branch) | Q(branch__isnull=True, country=branch.country)
    )
    for holiday in holidays.order_by("date", "pk"):
        found[holiday.date] = DayOff(holiday.date, holiday.name)
    return found


def diary(viewer, owner, start, end):
    """Every registered calendar source's events of owner's diary between two instants, in order."""
    found = []
    for source in desk.calendar_sources(viewer):
        found.extend(source.function(viewer, owner, start, end))
    return sorted(found, key=lambda e: (e.start, e.kind, e.title))


def appointment_events(viewer, owner, start, end):
    rows = (
        Appointment.objects.of_person(owner)
        .between(start, end)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("customer")
        .order_by("start", "pk")
    )
    bank_code = owner.bank.code if owner.bank_id else ""
    return [
        desk.CalendarEvent(
            kind="appointments",
            title=a.title,
            start=a.start,
            end=a.end,
            url=links.url("appointment", a.pk),
            customer_label=customer_label(a.customer),
            uid=f"appointment-{a.pk}@{bank_code}",
            location=a.location if a.customer_id is None else "",
            hide=(a.customer.name_local, a.customer.name_latin) if a.customer_id else (),
            ref=a.pk,
        )
        for a in rows
    ]


def today_appointments(user, now):
    """The appointments of this person's local today still to come or under way."""
    zone = person_zone(user)
    today = timezone.localtime(now, zone).date()
    start, end = local_bounds(user, today, today)
    rows = (
        Appointment.objects.of_person(user)
        .between(max(start, now), end)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("customer")
        .order_by("start", "pk")
    )
    return [
        desk.TodayItem(
            kind="appointments",
            title=a.title,
            url=links.url("appointment", a.pk),
            when=a.start,
            customer_label=customer_label(a.customer),
        )
        for a in rows
    ]


def appointments_held(person, start, end):
    rows = list(
        Appointment.objects.filter(Q(owner=person) | Q(attendees=person))
        .filter(end__gte=start, end__lt=end)
        .exclude(status=Appointment.Status.CANCELLED)
        .distinct()
        .select_related("customer")
        .order_by("start", "pk")
    )
    return [
        desk.ActivityLine(
            kind="appointments",
            label=_("Appointments held"),
            count=len(rows),
            details=[
                f"{timezone.localtime(a.start, person_zone(person)):%Y-%m-%d %H:%M} {a.title}"
                + (f" ({customer_label(a.customer)})" if a.customer_id else "")
                for a in rows
            ],
        )
    ]


# --- the iCalendar feed ----------------------------------------------------------------------------------------------


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed(owner, actor):
    """A new secret address for owner's feed (the old one stops working). Returns the token,
    shown once: only its hash is kept."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(owner=owner).first()
        replaced = feed is not None
        if feed is None:
            feed = CalendarFeed(owner=owner, bank_id=owner.bank_id)
        feed.token_hash = _hash(token)
        feed.created_at = timezone.now()
        feed.last_used_at = None
        feed.save()
        events.feed_issued(feed, actor, replaced)
    return token


def revoke_feed(owner, actor):
    with transaction.atomic():
        deleted, _rows = CalendarFeed.objects.filter(owner=owner).delete()
        if deleted:
            events.feed_revoked(owner.bank_id, owner, actor)
    return bool(deleted)


def feed_owner(token):
    """The active staff member whose feed this token opens, else NotVisible."""
    if not token or len(token) > 100:
        raise NotVisible
    feed = CalendarFeed.objects.select_related("owner__branch", "owner__bank").filter(token_hash=_hash(token)).first()
    if feed is None or not feed.owner.is_active or feed.owner.status == Staff.Status.LEFT:
        raise NotVisible
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed.owner


def _feed_text(event, names):
    title = event.title
    for clear in event.hide:
        if clear:
            title = title.replace(clear, event.customer_label if names else "")
    title = pii.scrub_text(title)
    if names and event.customer_label:
        title = f"{title} ({event.customer_label})"
    return title


def feed_calendar(owner, now=None):
    """owner's diary as an RFC 5545 calendar (bytes): times in UTC, no customer data beyond the masked name."""
    now = now or timezone.now()
    bank = owner.bank_id
    names = parameters.get("calendar.feed_customer_names", bank)
    start = now - datetime.timedelta(days=parameters.get("calendar.feed_days_back", bank))
    end = now + datetime.timedelta(days=parameters.get("calendar.feed_days_ahead", bank))
    cal = icalendar.Calendar()
    cal.add("prodid", "-//OCRM//Workbench calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"OCRM {owner.username}")
    cal.add("x-wr-timezone", owner.effective_timezone)
    for event in diary(owner, owner, start, end):
        item = icalendar.Event()
        item.add("uid", event.uid or f"{event.kind}-{event.start:%Y%m%dT%H%M%S}@ocrm")
        item.add("dtstamp", now.astimezone(datetime.UTC))
        item.add("summary", _feed_text(event, names))
        if event.all_day:
            item.add("dtstart", timezone.localtime(event.start, person_zone(owner)).date())
        else:
            item.add("dtstart", event.start.astimezone(datetime.UTC))
            item.add("dtend", (event.end or event.start + datetime.timedelta(minutes=30)).astimezone(datetime.UTC))
        if event.location:
            item.add("location", pii.scrub_text(event.location))
        item.add("categories", [event.kind])
        cal.add_component(item)
    return cal.to_ical()
