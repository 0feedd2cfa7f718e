"""Tasks on the desk: "today" and "overdue" in the assignee's own zone (Shanghai, London, New
York, a daylight-saving week) under a fixed clock (`now` passed in), the board, the desk sources,
bulk complete and reassign within the subtree, and the next action of a logged contact."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.profile import services as profile
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from tests.factories import make_customer, make_staff
from workbench import desk
from workbench.todo import services as tasks
from workbench.todo.models import Task

pytestmark = pytest.mark.django_db

LONDON, SHANGHAI, NEW_YORK = (zoneinfo.ZoneInfo(z) for z in ("Europe/London", "Asia/Shanghai", "America/New_York"))


@pytest.fixture
def people(org):
    return {
        "shanghai": org.manager,
        "london": make_staff("a.mgr.ldn", branch=org.a_ldn, roles=["customer_manager"]),
        "new_york": make_staff("a.mgr.ny", branch=org.a_ldn, roles=["customer_manager"], time_zone="America/New_York"),
    }


def today_titles(user, now):
    return [(item.title, item.overdue) for item in tasks.today_tasks(user, now)]


@pytest.mark.parametrize(
    ("who", "zone"),
    [("shanghai", SHANGHAI), ("london", LONDON), ("new_york", NEW_YORK)],
)
def test_today_and_overdue_flip_at_the_assignees_local_midnight(people, who, zone):
    person = people[who]
    day = datetime.date(2026, 12, 7)
    tasks.create_task(assignee=person, title="Due today", due_date=day)
    tasks.create_task(assignee=person, title="Due tomorrow", due_date=day + datetime.timedelta(days=1))
    tasks.create_task(assignee=person, title="Timed", due_date=day, due_time=datetime.time(15, 0))
    morning = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=zone)
    assert today_titles(person, morning) == [("Timed", False), ("Due today", False)]
    afternoon = datetime.datetime(2026, 12, 7, 16, 0, tzinfo=zone)
    assert today_titles(person, afternoon) == [("Timed", True), ("Due today", False)]
    last_minute = datetime.datetime(2026, 12, 7, 23, 59, tzinfo=zone)
    assert ("Due today", False) in today_titles(person, last_minute)
    just_after_midnight = datetime.datetime(2026, 12, 8, 0, 0, 30, tzinfo=zone)
    # Overdue now, and the next day's task is due today.
    assert today_titles(person, just_after_midnight) == [("Timed", True), ("Due today", True), ("Due tomorrow", False)]
    assert set(Task.objects.overdue(just_after_midnight).values_list("title", flat=True)) == {"Timed", "Due today"}


def test_the_same_instant_is_a_different_day_for_each_zone(people):
    for person in people.values():
        tasks.create_task(assignee=person, title=f"Call {person.username}", due_date=datetime.date(2026, 12, 7))
    # 23:30 UTC on the 7th: already the 8th in Shanghai, still the 7th in London and New York.
    instant = datetime.datetime(2026, 12, 7, 23, 30, tzinfo=datetime.UTC)
    overdue = {t.assignee_id for t in Task.objects.overdue(instant)}
    assert overdue == {people["shanghai"].pk}
    assert tasks.board(people["london"], instant)["today"][0].title == "Call a.mgr.ldn"
    assert tasks.board(people["shanghai"], instant)["overdue"][0].title == "Call a.mgr.sh"


@pytest.mark.parametrize(
    ("who", "zone", "change"),
    [
        # Clocks go back: London on 25 October 2026, New York on 1 November 2026.
        ("london", LONDON, datetime.date(2026, 10, 25)),
        ("new_york", NEW_YORK, datetime.date(2026, 11, 1)),
    ],
)
def test_a_daylight_saving_week_keeps_local_times(people, who, zone, change):
    person = people[who]
    before = tasks.create_task(
        assignee=person, title="Before", due_date=change - datetime.timedelta(days=1), due_time=datetime.time(9)
    )
    after = tasks.create_task(
        assignee=person, title="After", due_date=change + datetime.timedelta(days=1), due_time=datetime.time(9)
    )
    plain = tasks.create_task(assignee=person, title="On the day", due_date=change)
    # 09:00 local on both sides of the change: the UTC offset differs by one hour.
    assert timezone.localtime(before.due_at, zone).time() == datetime.time(9)
    assert timezone.localtime(after.due_at, zone).time() == datetime.time(9)
    assert after.due_at.astimezone(datetime.UTC) - before.due_at.astimezone(datetime.UTC) == datetime.timedelta(days=2, hours=1)
    # The 25-hour day ends at local midnight.
    assert plain.due_at == datetime.datetime.combine(change + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
    late = datetime.datetime.combine(change, datetime.time(23, 30), tzinfo=zone)
    assert not Task.objects.overdue(late).filter(pk=plain.pk).exists()
    assert Task.objects.overdue(late + datetime.timedelta(hours=1)).filter(pk=plain.pk).exists()
    # The board of that week (Monday to Sunday of the person's own calendar).
    monday = datetime.datetime.combine(change - datetime.timedelta(days=change.weekday()), datetime.time(8), tzinfo=zone)
    board = tasks.board(person, monday)
    assert {t.title for t in board["week"]} == {"Before", "On the day"}


def test_the_board_has_three_columns_in_a_fixed_number_of_queries(people, django_assert_num_queries):
    person = people["london"]
    now = datetime.datetime(2026, 12, 9, 10, 0, tzinfo=LONDON)  # a Wednesday
    for i in range(30):
        tasks.create_task(assignee=person, title=f"Old {i}", due_date=datetime.date(2026, 12, 1))
        tasks.create_task(assignee=person, title=f"Today {i}", due_date=datetime.date(2026, 12, 9))
        tasks.create_task(assignee=person, title=f"Friday {i}", due_date=datetime.date(2026, 12, 11))
        tasks.create_task(assignee=person, title=f"Later {i}", due_date=datetime.date(2026, 12, 20))
    with django_assert_num_queries(3):
        board = tasks.board(person, now)
    assert len(board["overdue"]) == len(board["today"]) == len(board["week"]) == 30
    assert all(t.title.startswith("Friday") for t in board["week"])


def test_desk_sources_are_registered_and_bounded(people, django_assert_num_queries):
    person = people["shanghai"]
    customer = make_customer("C-DESK-1", person.branch, person)
    now = datetime.datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)
    for i in range(20):
        tasks.create_task(
            assignee=person, title=f"T{i}", customer=customer, due_date=datetime.date(2026, 12, 7), due_time=datetime.time(10)
        )
    assert "tasks" in {s.key for s in desk.today_sources(person)}
    assert "tasks" in {s.key for s in desk.calendar_sources(person)}
    assert {"tasks", "appointments"} <= {s.key for s in desk.activity_sources(person)}
    with django_assert_num_queries(1):
        items = tasks.today_tasks(person, now)
    assert len(items) == 20 and items[0].customer_label == "王*"
    start = datetime.datetime(2026, 12, 7, tzinfo=SHANGHAI)
    person.bank  # noqa: B018 - loaded once per request in the pages
    with django_assert_num_queries(1):
        events = tasks.calendar_tasks(person, person, start, start + datetime.timedelta(days=1))
    assert len(events) == 20 and events[0].start == datetime.datetime(2026, 12, 7, 10, tzinfo=SHANGHAI)
    task = Task.objects.filter(assignee=person).first()
    tasks.close_task(task, person)
    lines = tasks.tasks_done(person, timezone.now() - datetime.timedelta(hours=1), timezone.now() + datetime.timedelta(hours=1))
    assert lines[0].count == 1 and lines[0].details == [f"{task.title} (王*)"]


# --- bulk actions within the subtree ------------------------------------------------------------------------------


def test_a_supervisor_bulk_completes_and_reassigns_within_the_subtree_only(org, people):
    mine = tasks.create_task(assignee=org.manager, title="Sub A", due_date=datetime.date(2026, 12, 7))
    sub = tasks.create_task(assignee=org.manager_sub, title="Sub B", due_date=datetime.date(2026, 12, 7))
    outside = tasks.create_task(assignee=org.manager_bj, title="Beijing", due_date=datetime.date(2026, 12, 7))
    done = tasks.bulk_complete([mine.pk, sub.pk], org.supervisor)
    assert {t.status for t in done} == {Task.Status.DONE}
    with pytest.raises(NotVisible):
        tasks.bulk_complete([outside.pk], org.supervisor)
    outside.refresh_from_db()
    assert outside.is_open
    a = tasks.create_task(assignee=org.manager, title="Move me", due_date=datetime.date(2026, 12, 7))
    with pytest.raises(ValidationError) as error:  # Beijing is outside the Shanghai supervisor's subtree
        tasks.bulk_reassign([a.pk], org.supervisor, org.manager_bj)
    assert "assignee" in error.value.message_dict
    with pytest.raises(NotVisible):
        tasks.bulk_reassign([a.pk, outside.pk], org.supervisor, org.manager_sub)
    a.refresh_from_db()
    assert a.assignee == org.manager  # nothing moved: one transaction
    with pytest.raises(ValidationError):  # a manager may not reassign
        tasks.bulk_reassign([a.pk], org.manager, org.manager_sub)


def test_reassigning_recomputes_the_due_moment_in_the_new_assignees_zone(org):
    london_sup = make_staff("a.sup.gb", branch=org.a_gb, roles=["branch_supervisor"])
    london = make_staff("a.mgr.ldn2", branch=org.a_ldn, roles=["customer_manager"])
    other = make_staff("a.mgr.ldn3", branch=org.a_ldn, roles=["customer_manager"], time_zone="America/New_York")
    task = tasks.create_task(assignee=london, title="Visit", due_date=datetime.date(2026, 12, 7), due_time=datetime.time(9))
    assert task.due_at == datetime.datetime(2026, 12, 7, 9, tzinfo=LONDON)
    [moved] = tasks.bulk_reassign([task.pk], london_sup, other)
    moved.refresh_from_db()
    assert moved.assignee == other
    assert moved.due_at == datetime.datetime(2026, 12, 7, 9, tzinfo=NEW_YORK)
    entry = AuditLog.objects.get(detail__event="task_reassigned")
    assert entry.changes["assignee"] == [london.pk, other.pk]
    assert entry.actor == london_sup


def test_a_manager_bulk_completes_only_their_own(org):
    mine = tasks.create_task(assignee=org.manager, title="Mine")
    theirs = tasks.create_task(assignee=org.manager_sub, title="Theirs")
    with pytest.raises(NotVisible):
        tasks.bulk_complete([mine.pk, theirs.pk], org.manager)
    assert Task.objects.open().count() == 2
    tasks.bulk_complete([mine.pk], org.manager)
    with pytest.raises(ValidationError):  # closed already
        tasks.bulk_complete([mine.pk], org.manager)


def test_update_task_recomputes_due_and_is_audited(org):
    task = tasks.create_task(assignee=org.manager, title="Call", due_date=datetime.date(2026, 12, 7))
    tasks.update_task(task, org.manager, title="Call back", due_date=datetime.date(2026, 12, 8), due_time=datetime.time(11))
    task.refresh_from_db()
    assert task.title == "Call back"
    assert task.due_at == datetime.datetime(2026, 12, 8, 11, tzinfo=SHANGHAI)
    assert AuditLog.objects.filter(detail__event="task_updated", actor=org.manager).exists()
    with pytest.raises(NotVisible):
        tasks.update_task(task, org.manager_bj, title="Mine now")
    with pytest.raises(ValidationError) as error:
        tasks.update_task(task, org.manager, title="", due_date=None)
    assert "title" in error.value.message_dict


# --- the next action of a logged service contact ---------------------------------------------------------------


def test_the_next_action_of_a_logged_contact_becomes_a_task(org):
    customer = make_customer("C-NEXT-1", org.a_sh, org.manager)
    contact = profile.log_service_contact(
        customer,
        {
            "channel": "phone",
            "subject": "Maturity talk",
            "next_action": "Send the term-deposit offer",
            "next_action_date": datetime.date(2099, 1, 5),
        },
        org.manager,
    )
    task = Task.objects.get(source=Task.Source.CONTACT)
    assert (task.title, task.customer, task.assignee, task.due_date) == (
        "Send the term-deposit offer",
        customer,
        org.manager,
        datetime.date(2099, 1, 5),
    )
    assert task.source_key == f"contact:{contact.pk}"
    # A contact without a next action makes no task.
    profile.log_service_contact(customer, {"channel": "phone", "subject": "Hello"}, org.manager)
    assert Task.objects.count() == 1
