"""The appointment reminder (M minutes before, workbench.calendar.reminders): written by the nightly
generation and by the calendar services on the spot, delivered at start - M in UTC whatever the
zone (Shanghai; London across its daylight-saving change of 29 March 2026), one per appointment,
gone when the appointment is cancelled, for the new time only when it moves, none without a customer."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from customers.ownership.assignment import services as assignment
from ocrm.approvals import services as approvals
from sysadmin.parameters import services as parameters
from tests.factories import make_customer, make_staff
from workbench.calendar import reminders as appointment_reminders
from workbench.calendar import services as calendar
from workbench.calendar.models import Appointment
from workbench.reminders import services as reminders
from workbench.reminders.models import Reminder

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

UTC = datetime.UTC
SHANGHAI, LONDON = zoneinfo.ZoneInfo("Asia/Shanghai"), zoneinfo.ZoneInfo("Europe/London")
D = datetime.date
MIN = datetime.timedelta(minutes=1)


def at(*args, zone=UTC):
    return datetime.datetime(*args, tzinfo=zone)


@pytest.fixture
def book(org):
    mgr_ldn = make_staff("a.mgr.ldn.appt", branch=org.a_ldn, roles=["customer_manager"])
    return {
        "bank": org.bank_a,
        "mgr_sh": org.manager,
        "mgr_ldn": mgr_ldn,
        "cust_sh": make_customer("APPT-SH", org.a_sh, org.manager),
        "cust_ldn": make_customer("APPT-LDN", org.a_ldn, mgr_ldn),
    }


def planned(owner, customer, start, minutes=60, title="Portfolio review"):
    """An appointment written straight to the table (the nightly generation's input)."""
    return Appointment.objects.create(
        bank_id=owner.bank_id,
        title=title,
        customer=customer,
        owner=owner,
        start=start,
        end=start + datetime.timedelta(minutes=minutes),
    )


def generate(book, day, now):
    return reminders.generate(book["bank"].pk, day, now=now)["reminders_created"]


def delivered(now):
    reminders.deliver_due(now)
    return set(Reminder.objects.filter(status=Reminder.Status.DELIVERED).values_list("object_id", flat=True))


def test_the_nightly_run_reminds_m_minutes_before_in_shanghai_and_across_the_london_dst_change(book):
    sh = planned(book["mgr_sh"], book["cust_sh"], at(2026, 3, 29, 10, zone=SHANGHAI))  # 02:00 UTC
    before_change = planned(book["mgr_ldn"], book["cust_ldn"], at(2026, 3, 28, 10, zone=LONDON))  # GMT: 10:00 UTC
    after_change = planned(book["mgr_ldn"], book["cust_ldn"], at(2026, 3, 29, 10, zone=LONDON))  # BST: 09:00 UTC
    parameters.set_value("reminders.appointment_minutes", "45", bank=book["bank"])
    assert generate(book, D(2026, 3, 28), now=at(2026, 3, 27, 23, 30)) == 3
    rows = {r.object_id: r for r in Reminder.objects.filter(kind="appointment")}
    assert {pk: (r.deliver_at, r.lead, r.manager_id) for pk, r in rows.items()} == {
        sh.pk: (at(2026, 3, 29, 1, 15), 45, book["mgr_sh"].pk),  # 09:15 in Shanghai
        before_change.pk: (at(2026, 3, 28, 9, 15), 45, book["mgr_ldn"].pk),  # 09:15 GMT
        after_change.pk: (at(2026, 3, 29, 8, 15), 45, book["mgr_ldn"].pk),  # 09:15 BST, an hour earlier in UTC
    }
    assert rows[sh.pk].event_at == sh.start and rows[sh.pk].event_date == D(2026, 3, 29)
    with timezone.override(LONDON):
        assert rows[after_change.pk].title == "Appointment “Portfolio review” at 2026-03-29 10:00"
    assert delivered(at(2026, 3, 28, 9, 15) - MIN) == set()
    assert delivered(at(2026, 3, 28, 9, 15)) == {before_change.pk}
    assert delivered(at(2026, 3, 29, 1, 15)) == {before_change.pk, sh.pk}
    assert delivered(at(2026, 3, 29, 8, 15) - MIN) == {before_change.pk, sh.pk}
    assert delivered(at(2026, 3, 29, 8, 15)) == {before_change.pk, sh.pk, after_change.pk}


def test_reruns_and_overlapping_windows_add_nothing_and_past_or_far_ones_are_left(book):
    soon = planned(book["mgr_sh"], book["cust_sh"], at(2026, 12, 8, 9, zone=SHANGHAI))
    planned(book["mgr_sh"], book["cust_sh"], at(2026, 12, 6, 23, 50))  # already started at the run
    planned(book["mgr_sh"], book["cust_sh"], at(2026, 12, 9, 0, 0))  # beyond the window (2 days UTC)
    now = at(2026, 12, 7, 0, 5)
    assert generate(book, D(2026, 12, 7), now) == 1
    assert generate(book, D(2026, 12, 7), now) == 0
    assert generate(book, D(2026, 12, 6), now) == 0  # the window of the day before overlaps
    assert list(Reminder.objects.values_list("object_id", flat=True)) == [soon.pk]
    assert generate(book, D(2026, 12, 8), at(2026, 12, 8, 0, 5)) == 1  # the far one comes the next night
    assert Reminder.objects.count() == 2


def test_an_appointment_without_a_customer_gets_none(book):
    start = timezone.now() + datetime.timedelta(hours=3)
    end = start + datetime.timedelta(hours=1)
    internal = calendar.create_appointment(book["mgr_sh"], title="Team meeting", start=start, end=end)
    assert generate(book, timezone.now().astimezone(UTC).date(), timezone.now()) == 0
    assert not Reminder.objects.filter(object_id=internal.pk).exists()


def test_creating_one_for_later_today_reminds_without_waiting_for_the_night(book):
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=3)
    appointment = calendar.create_appointment(
        book["mgr_sh"], title="Call", start=start, end=start + datetime.timedelta(hours=1), customer=book["cust_sh"]
    )
    reminder = Reminder.objects.get(kind="appointment", object_id=appointment.pk)
    assert (reminder.status, reminder.deliver_at, reminder.manager_id) == ("pending", start - 30 * MIN, book["mgr_sh"].pk)
    assert generate(book, timezone.now().astimezone(UTC).date(), timezone.now()) == 0  # the night adds no second one
    far = calendar.create_appointment(
        book["mgr_sh"],
        title="Later",
        start=start + datetime.timedelta(days=5),
        end=start + datetime.timedelta(days=5, hours=1),
        customer=book["cust_sh"],
    )
    assert not Reminder.objects.filter(object_id=far.pk).exists()  # left to the night of its window


def test_a_cancelled_appointment_is_never_reminded(book):
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=3)
    appointment = calendar.create_appointment(
        book["mgr_sh"], title="Call", start=start, end=start + datetime.timedelta(hours=1), customer=book["cust_sh"]
    )
    assert Reminder.objects.filter(object_id=appointment.pk).exists()
    calendar.cancel_appointment(appointment, book["mgr_sh"])
    assert not Reminder.objects.filter(kind="appointment").exists()
    assert generate(book, timezone.now().astimezone(UTC).date(), timezone.now()) == 0  # nor by the night
    assert delivered(start) == set()


def test_a_moved_appointment_is_reminded_for_its_new_time_only(book):
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=3)
    appointment = calendar.create_appointment(
        book["mgr_sh"], title="Call", start=start, end=start + datetime.timedelta(hours=1), customer=book["cust_sh"]
    )
    new_start = start + datetime.timedelta(hours=2)
    calendar.move_appointment(appointment, book["mgr_sh"], new_start)
    assert list(Reminder.objects.values_list("object_id", "deliver_at")) == [(appointment.pk, new_start - 30 * MIN)]
    assert generate(book, timezone.now().astimezone(UTC).date(), timezone.now()) == 0
    assert delivered(start - 30 * MIN) == set()  # the old time passes silently
    assert delivered(new_start - 30 * MIN) == {appointment.pk}
    # Moved again after its reminder was delivered: the stale one goes, the new time's comes.
    later = new_start + datetime.timedelta(hours=1)
    calendar.update_appointment(
        appointment, book["mgr_sh"], title="Call", start=later, end=later + datetime.timedelta(hours=1), customer=book["cust_sh"]
    )
    assert list(Reminder.objects.values_list("status", "deliver_at")) == [("pending", later - 30 * MIN)]


def test_the_reminder_goes_to_the_appointments_owner_not_the_customers_primary_manager(book, org):
    """A colleague (here in another branch and zone) holds the appointment with mgr_sh's customer:
    the nightly run and the on-the-spot refresh both remind the colleague, and the delivery tick
    notifies the colleague only."""
    colleague = book["mgr_ldn"]
    now = at(2026, 3, 10, 1, 0)
    nightly = planned(colleague, book["cust_sh"], at(2026, 3, 10, 9, 0))
    assert generate(book, D(2026, 3, 10), now) == 1
    reminder = Reminder.objects.get(kind="appointment", object_id=nightly.pk)
    assert (reminder.manager_id, reminder.deliver_at) == (colleague.pk, at(2026, 3, 10, 8, 30))

    on_the_spot = planned(colleague, book["cust_sh"], at(2026, 3, 10, 11, 0), title="Follow-up")
    assert appointment_reminders.refresh(on_the_spot, now=now) == 1
    assert Reminder.objects.get(kind="appointment", object_id=on_the_spot.pk).manager_id == colleague.pk
    assert not Reminder.objects.filter(kind="appointment", manager=book["mgr_sh"]).exists()

    # An inactive primary manager no longer drops the owner's reminder.
    book["mgr_sh"].is_active = False
    book["mgr_sh"].save(update_fields=["is_active"])
    third = planned(colleague, book["cust_sh"], at(2026, 3, 10, 15, 0), title="Third")
    assert generate(book, D(2026, 3, 10), now) == 1
    assert Reminder.objects.get(kind="appointment", object_id=third.pk).manager_id == colleague.pk


def test_an_appointment_reminder_stays_with_its_owner_when_the_customer_is_handed_over(
    book, org, django_capture_on_commit_callbacks
):
    """The hand-over moves the customer's open reminders to the new manager, but not the reminder
    of an appointment: it belongs to the owner's diary (here the old manager's own, and a
    colleague's), and the appointments do not change hands."""
    new_manager = make_staff("a.mgr.sh.next", branch=org.a_sh, roles=["customer_manager"])
    checker = make_staff("a.sup.sh.next", branch=org.a_sh, roles=["branch_supervisor"])
    now = timezone.now()
    start = (now + datetime.timedelta(hours=20)).replace(microsecond=0)
    own = planned(book["mgr_sh"], book["cust_sh"], start)
    colleagues = planned(book["mgr_ldn"], book["cust_sh"], start + datetime.timedelta(hours=2), title="Colleague's")
    assert appointment_reminders.refresh(own, now=now) == 1
    assert appointment_reminders.refresh(colleagues, now=now) == 1
    request = assignment.hand_over(book["mgr_sh"], [new_manager], assignment.HANDOVER_ONE, org.supervisor, "leaving")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve(request.pk, checker)
    book["cust_sh"].refresh_from_db()
    assert book["cust_sh"].primary_manager == new_manager
    by_appointment = dict(Reminder.objects.filter(kind="appointment").values_list("object_id", "manager_id"))
    assert by_appointment == {own.pk: book["mgr_sh"].pk, colleagues.pk: book["mgr_ldn"].pk}
