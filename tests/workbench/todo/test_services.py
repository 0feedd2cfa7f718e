"""The task service every app uses: idempotent creation, due moments in the assignee's zone,
closing, and open customer tasks following hand-overs and branch transfers."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from customers.ownership.assignment import services as assignment
from ocrm.approvals import services as approvals
from ocrm.audit.models import AuditLog
from tests.factories import make_customer, make_staff
from workbench.todo import services as tasks
from workbench.todo.models import Task

pytestmark = pytest.mark.django_db

LONDON, SHANGHAI, NEW_YORK = (zoneinfo.ZoneInfo(z) for z in ("Europe/London", "Asia/Shanghai", "America/New_York"))


def test_a_task_without_a_time_is_overdue_at_the_assignees_local_midnight(org):
    london = make_staff("a.mgr.ldn", branch=org.a_ldn, roles=["customer_manager"])
    task = tasks.create_task(assignee=london, title="Call back", due_date=datetime.date(2026, 12, 6))
    assert task.due_at == datetime.datetime(2026, 12, 7, tzinfo=LONDON)
    shanghai_task = tasks.create_task(assignee=org.manager, title="Call back", due_date=datetime.date(2026, 12, 6))
    assert shanghai_task.due_at == datetime.datetime(2026, 12, 7, tzinfo=SHANGHAI)
    # 23:30 in London on the due date: not overdue there, although it is already the 7th in UTC+8.
    late_evening = datetime.datetime(2026, 12, 6, 23, 30, tzinfo=LONDON)
    assert list(Task.objects.overdue(late_evening)) == [shanghai_task]
    assert set(Task.objects.overdue(late_evening + datetime.timedelta(hours=1))) == {task, shanghai_task}


def test_a_timed_task_is_due_at_its_local_time_across_a_daylight_saving_change(org):
    ny_branch = org.a_ldn  # the person's own zone wins over the branch's
    person = make_staff("a.mgr.ny", branch=ny_branch, roles=["customer_manager"], time_zone="America/New_York")
    # 8 March 2026: clocks in New York go forward at 02:00.
    task = tasks.create_task(assignee=person, title="Meeting", due_date=datetime.date(2026, 3, 8), due_time=datetime.time(9, 0))
    assert task.due_at == datetime.datetime(2026, 3, 8, 13, 0, tzinfo=datetime.UTC)  # EDT, UTC-4
    before = tasks.create_task(assignee=person, title="Meeting", due_date=datetime.date(2026, 3, 7), due_time=datetime.time(9, 0))
    assert before.due_at == datetime.datetime(2026, 3, 7, 14, 0, tzinfo=datetime.UTC)  # EST, UTC-5
    assert tasks.local_today(person, datetime.datetime(2026, 3, 8, 3, 0, tzinfo=datetime.UTC)) == datetime.date(2026, 3, 7)


def test_creation_with_a_source_key_happens_once(org):
    customer = make_customer("C-T-1", org.a_sh, org.manager)
    first = tasks.create_task(
        assignee=org.manager, title="Maturity", customer=customer, source=Task.Source.REMINDER, source_key="r:1"
    )
    again = tasks.create_task(
        assignee=org.manager, title="Maturity", customer=customer, source=Task.Source.REMINDER, source_key="r:1"
    )
    assert again.pk == first.pk
    assert Task.objects.count() == 1
    assert AuditLog.objects.filter(detail__event="task_created").count() == 1


@pytest.mark.parametrize(
    "case",
    ["other bank assignee", "blank title", "time without date"],
)
def test_creation_is_refused_with_the_field_named(org, case):
    kwargs = {"assignee": org.manager, "title": "Call", "due_date": None}
    if case == "other bank assignee":
        kwargs["assignee"] = org.b_manager
        kwargs["customer"] = make_customer("C-T-2", org.a_sh, org.manager)
        field = "assignee"
    elif case == "blank title":
        kwargs["title"] = "  "
        field = "title"
    else:
        kwargs["due_time"] = datetime.time(9)
        field = "due_date"
    with pytest.raises(ValidationError) as error:
        tasks.create_task(**kwargs)
    assert field in error.value.message_dict
    assert not Task.objects.exists()


def test_a_closed_task_stays_closed(org):
    task = tasks.create_task(assignee=org.manager, title="Call")
    tasks.close_task(task, org.manager, outcome="reached")
    task.refresh_from_db()
    assert (task.status, task.outcome, task.closed_by) == (Task.Status.DONE, "reached", org.manager)
    with pytest.raises(ValidationError, match="already closed"):
        tasks.close_task(task, org.manager, status=Task.Status.CANCELLED)


def test_scope_a_manager_sees_only_their_tasks_a_supervisor_the_subtree(org):
    mine = tasks.create_task(assignee=org.manager, title="Mine")
    other = tasks.create_task(assignee=org.manager_bj, title="Beijing")
    foreign = tasks.create_task(assignee=org.b_manager, title="Bank B")
    assert list(Task.objects.visible_to(org.manager)) == [mine]
    assert set(Task.objects.visible_to(org.supervisor)) == {mine}
    assert set(Task.objects.visible_to(org.admin)) == {mine, other}
    assert foreign not in Task.objects.visible_to(org.admin)


def test_open_customer_tasks_follow_a_hand_over(org, django_capture_on_commit_callbacks):
    manager2 = make_staff("a.mgr.sh2", branch=org.a_sh, roles=["customer_manager"])
    checker = make_staff("a.sup.sh2", branch=org.a_sh, roles=["branch_supervisor"])
    customer = make_customer("C-T-3", org.a_sh, org.manager)
    open_task = tasks.create_task(assignee=org.manager, title="Open", customer=customer, due_date=datetime.date(2026, 12, 6))
    done_task = tasks.create_task(assignee=org.manager, title="Done", customer=customer)
    tasks.close_task(done_task, org.manager)
    own_task = tasks.create_task(assignee=org.manager, title="Not about a customer")
    request = assignment.hand_over(org.manager, [manager2], assignment.HANDOVER_ONE, org.supervisor, "leaving")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve(request.pk, checker)
    assert Task.objects.get(pk=open_task.pk).assignee == manager2
    assert Task.objects.get(pk=done_task.pk).assignee == org.manager  # history stays with who did it
    assert Task.objects.get(pk=own_task.pk).assignee == org.manager
    assert AuditLog.objects.filter(detail__event="tasks_moved", detail__count=1).exists()


def test_open_customer_tasks_follow_a_branch_transfer_and_take_the_new_managers_zone(org):
    london_manager = make_staff("a.mgr.ldn", branch=org.a_ldn, roles=["customer_manager"])
    london_supervisor = make_staff("a.sup.ldn", branch=org.a_ldn, roles=["branch_supervisor"])
    customer = make_customer("C-T-4", org.a_sh, org.manager)
    task = tasks.create_task(assignee=org.manager, title="Open", customer=customer, due_date=datetime.date(2026, 12, 6))
    assert task.due_at == datetime.datetime(2026, 12, 7, tzinfo=SHANGHAI)
    request = assignment.propose_transfer(customer, org.a_ldn, org.supervisor, "moved to London")
    assignment.approve_request(request.pk, london_supervisor, "welcome", to_manager=london_manager)
    task.refresh_from_db()
    assert task.assignee == london_manager
    assert task.due_at == datetime.datetime(2026, 12, 7, tzinfo=LONDON)
