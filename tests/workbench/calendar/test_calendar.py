"""The calendar: appointment services (validated, audited), month/week/day views in the owner's
zone with every calendar source and the branch's holidays, scope (another manager's calendar:
404; a supervisor their subtree; another bank never), htmx move, bounded query counts, and the
iCalendar feed (parses, no clear PII, revocable)."""

import datetime
import zoneinfo

import icalendar
import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse

from ocrm.audit.models import AuditLog
from sysadmin.org.models import Holiday
from sysadmin.parameters.models import SystemParameter
from tests.factories import make_customer, make_staff
from tests.support.mfa import second_factor_queries
from workbench.calendar import services as calendar
from workbench.calendar.models import Appointment, CalendarFeed
from workbench.calendar.views import calendar_context
from workbench.todo import services as tasks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english_staff):
    """The pages' messages are read in English (staff read Chinese by default)."""


SHANGHAI, LONDON = zoneinfo.ZoneInfo("Asia/Shanghai"), zoneinfo.ZoneInfo("Europe/London")


def at(*args, zone=SHANGHAI):
    return datetime.datetime(*args, tzinfo=zone)


def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def customer(org):
    return make_customer("C-CAL-1", org.a_sh, org.manager, name_local="王伟", name_latin="Wang Wei")


def test_appointments_are_validated_and_audited(org, customer):
    appointment = calendar.create_appointment(
        org.manager,
        title="Review with 王伟",
        start=at(2026, 12, 8, 10),
        end=at(2026, 12, 8, 11),
        customer=customer,
        attendees=[org.manager_sub],
        location="Branch",
    )
    assert list(appointment.attendees.all()) == [org.manager_sub]
    assert AuditLog.objects.get(detail__event="appointment_created").changes["attendees"] == [None, [org.manager_sub.pk]]
    cases = [
        ({"end": at(2026, 12, 8, 9)}, "end"),
        ({"attendees": [org.b_manager]}, "attendees"),
        ({"title": " "}, "title"),
    ]
    for change, field in cases:
        kwargs = {"title": "X", "start": at(2026, 12, 8, 10), "end": at(2026, 12, 8, 11), **change}
        with pytest.raises(ValidationError) as error:
            calendar.create_appointment(org.manager, **kwargs)
        assert field in error.value.message_dict, change
    calendar.move_appointment(appointment, org.manager, at(2026, 12, 9, 15))
    appointment.refresh_from_db()
    assert (appointment.start, appointment.end) == (at(2026, 12, 9, 15), at(2026, 12, 9, 16))
    assert AuditLog.objects.filter(detail__event="appointment_moved").count() == 1
    calendar.cancel_appointment(appointment, org.manager)
    with pytest.raises(ValidationError):
        calendar.move_appointment(appointment, org.manager, at(2026, 12, 10, 15))


def test_the_diary_draws_every_source_and_the_branchs_holidays(client, org, customer):
    calendar.create_appointment(org.manager, title="Visit", start=at(2026, 12, 8, 10), end=at(2026, 12, 8, 11), customer=customer)
    tasks.create_task(
        assignee=org.manager, title="Call at three", due_date=datetime.date(2026, 12, 9), due_time=datetime.time(15)
    )
    tasks.create_task(assignee=org.manager, title="No time", due_date=datetime.date(2026, 12, 9))
    Holiday.objects.create(bank=org.bank_a, country="CN", date=datetime.date(2026, 12, 10), name="Bank day off")
    Holiday.objects.create(bank=org.bank_a, country="GB", date=datetime.date(2026, 12, 11), name="Not ours")
    logged_in(client, org.manager)
    page = client.get(reverse("workbench:calendar") + "?view=week&date=2026-12-08").content.decode()
    assert "Visit" in page and "Call at three" in page and "(王*)" in page
    assert "No time" not in page  # only tasks with a time are in the diary
    assert "Bank day off" in page and "Not ours" not in page
    assert "王伟" not in page
    month = client.get(reverse("workbench:calendar") + "?view=month&date=2026-12-01").content.decode()
    assert "Visit" in month and "Bank day off" in month
    day = client.get(reverse("workbench:calendar") + "?view=day&date=2026-12-09").content.decode()
    assert "Call at three" in day and "Visit" not in day
    # Nonsense in the address is the default view, never an error.
    assert client.get(reverse("workbench:calendar") + "?view=year&date=99999-1-1").status_code == 200


def test_a_london_diary_is_laid_out_in_london_time(client, org):
    london = make_staff("a.mgr.ldn", branch=org.a_ldn, roles=["customer_manager"])
    # 23:30 London on the 8th is already the 9th in Shanghai: it stays on the 8th in London's diary.
    calendar.create_appointment(
        london, title="Late call", start=at(2026, 12, 8, 23, 30, zone=LONDON), end=at(2026, 12, 9, 0, 15, zone=LONDON)
    )
    context = calendar_context(london, london, "week", datetime.date(2026, 12, 8))
    by_day = {d["date"]: [i["event"].title for i in d["items"]] for d in context["days"]}
    assert by_day[datetime.date(2026, 12, 8)] == ["Late call"]
    assert context["zone"] == "Europe/London"


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("manager", "manager_sub", 404),  # another manager's calendar
        ("manager", "b_manager", 404),
        ("supervisor", "manager_sub", 200),  # within the subtree
        ("supervisor", "manager_bj", 404),  # outside it
        ("supervisor", "b_manager", 404),
        ("b_supervisor", "manager", 404),
    ],
)
def test_whose_calendar_one_may_open(client, org, who, target, status):
    calendar.create_appointment(getattr(org, target), title="Secret meeting", start=at(2026, 12, 8, 10), end=at(2026, 12, 8, 11))
    logged_in(client, getattr(org, who))
    response = client.get(reverse("workbench:staff_calendar", args=[getattr(org, target).pk]) + "?view=week&date=2026-12-08")
    assert response.status_code == status
    if status == 200:
        assert "Secret meeting" in response.content.decode()
    appointment = Appointment.objects.get()
    expected = 200 if status == 200 else 404
    assert client.get(reverse("workbench:appointment", args=[appointment.pk])).status_code == expected


def test_the_month_view_has_a_bounded_query_count(client, org, customer, django_assert_max_num_queries):
    customers = [make_customer(f"C-CALQ-{i}", org.a_sh, org.manager) for i in range(5)]
    for i in range(80):
        day = datetime.date(2026, 12, 1 + i % 28)
        calendar.create_appointment(
            org.manager,
            title=f"A{i}",
            start=at(day.year, day.month, day.day, 9),
            end=at(day.year, day.month, day.day, 10),
            customer=customers[i % 5],
            attendees=[org.manager_sub],
        )
        tasks.create_task(
            assignee=org.manager, title=f"T{i}", customer=customers[i % 5], due_date=day, due_time=datetime.time(14)
        )
    for i in range(5):
        Holiday.objects.create(bank=org.bank_a, country="CN", date=datetime.date(2026, 12, 20 + i), name=f"H{i}")
    logged_in(client, org.manager)
    with django_assert_max_num_queries(14 + second_factor_queries(org.manager)):
        response = client.get(reverse("workbench:calendar") + "?view=month&date=2026-12-01")
    assert response.status_code == 200
    assert "A0" in response.content.decode()
    logged_in(client, org.supervisor)
    with django_assert_max_num_queries(16 + second_factor_queries(org.supervisor)):
        assert (
            client.get(reverse("workbench:staff_calendar", args=[org.manager.pk]) + "?view=month&date=2026-12-01").status_code
            == 200
        )


def test_create_and_move_an_appointment_with_htmx(client, org, customer):
    logged_in(client, org.manager)
    response = client.post(
        reverse("workbench:appointment_create"),
        {"title": "Coffee", "customer": "C-CAL-1", "start": "2026-12-08T10:00", "end": "2026-12-08T11:00", "channel": "visit"},
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get(title="Coffee")
    assert appointment.start == at(2026, 12, 8, 10)  # the manager's zone (Shanghai)
    response = client.post(
        reverse("workbench:appointment_move", args=[appointment.pk]),
        {"shift": "60", "view": "week", "date": "2026-12-08", "owner": org.manager.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="calendar-grid">') and "<html" not in text
    assert "11:00" in text and "Coffee" in text
    appointment.refresh_from_db()
    assert appointment.start == at(2026, 12, 8, 11)
    # Another manager cannot move it.
    logged_in(client, org.manager_sub)
    response = client.post(reverse("workbench:appointment_move", args=[appointment.pk]), {"shift": "60"})
    assert response.status_code == 404
    # End before start: the field says so.
    logged_in(client, org.manager)
    response = client.post(
        reverse("workbench:appointment_create"),
        {"title": "Bad", "start": "2026-12-08T10:00", "end": "2026-12-08T09:00", "channel": "visit"},
    )
    assert response.status_code == 200 and "The end must come after the start." in response.content.decode()


# --- the iCalendar feed ----------------------------------------------------------------------------------------


def test_the_feed_parses_and_holds_no_clear_personal_data(client, org, customer):
    calendar.create_appointment(
        org.manager,
        title="Review with 王伟 13812345678",
        start=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1),
        end=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1, hours=1),
        customer=customer,
        location="上海市浦东新区世纪大道100号",
    )
    tomorrow = tasks.local_today(org.manager) + datetime.timedelta(days=2)
    tasks.create_task(
        assignee=org.manager, title="Call Wang Wei", customer=customer, due_date=tomorrow, due_time=datetime.time(9)
    )
    token = calendar.issue_feed(org.manager, org.manager)
    assert CalendarFeed.objects.get().token_hash != token  # kept hashed
    response = client.get(reverse("workbench:calendar_feed", args=[token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    parsed = icalendar.Calendar.from_ical(response.content)
    events = list(parsed.walk("VEVENT"))
    assert len(events) == 2
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert all("王*" in s for s in summaries)
    for clear in ("王伟", "Wang Wei", "13812345678", "浦东", "C-CAL-1"):
        assert clear not in body, clear
    for event in events:
        assert event.decoded("DTSTART").tzinfo is not None  # times carry their zone (UTC)
        assert str(event["UID"]).endswith("@BKA")
    # The parameter takes names out altogether.
    SystemParameter.objects.create(bank=org.bank_a, key="calendar.feed_customer_names", value_type="bool", value="false")
    cache.delete_pattern("*")
    body = client.get(reverse("workbench:calendar_feed", args=[token])).content.decode()
    assert "王*" not in body and "王伟" not in body and "Review with" in body


def test_a_new_feed_address_revokes_the_old_and_revoke_ends_it(client, org):
    old = calendar.issue_feed(org.manager, org.manager)
    new = calendar.issue_feed(org.manager, org.manager)
    assert client.get(reverse("workbench:calendar_feed", args=[old])).status_code == 404
    assert client.get(reverse("workbench:calendar_feed", args=[new])).status_code == 200
    logged_in(client, org.manager)
    page = client.post(reverse("workbench:calendar_feed_settings"), {"action": "revoke"})
    assert page.status_code == 200
    client.logout()
    assert client.get(reverse("workbench:calendar_feed", args=[new])).status_code == 404
    assert client.get(reverse("workbench:calendar_feed", args=["nonsense"])).status_code == 404
    assert AuditLog.objects.filter(detail__event="calendar_feed_revoked").count() == 1
    # The page shows a new address once.
    logged_in(client, org.manager)
    page = client.post(reverse("workbench:calendar_feed_settings"), {"action": "issue"}).content.decode()
    assert 'id="feed-url"' in page and "/workbench/calendar/feed/" in page
    assert 'id="feed-url"' not in client.get(reverse("workbench:calendar_feed_settings")).content.decode()


def test_desk_sources_of_appointments(org, customer, django_assert_num_queries):
    now = at(2026, 12, 8, 8)
    calendar.create_appointment(
        org.manager, title="Morning", start=at(2026, 12, 8, 9), end=at(2026, 12, 8, 10), customer=customer
    )
    calendar.create_appointment(org.manager, title="Tomorrow", start=at(2026, 12, 9, 9), end=at(2026, 12, 9, 10))
    calendar.create_appointment(
        org.manager_sub, title="Team", start=at(2026, 12, 8, 14), end=at(2026, 12, 8, 15), attendees=[org.manager]
    )
    with django_assert_num_queries(1):
        items = calendar.today_appointments(org.manager, now)
    assert [i.title for i in items] == ["Morning", "Team"]
    lines = calendar.appointments_held(org.manager, at(2026, 12, 8), at(2026, 12, 9))
    assert lines[0].count == 2
