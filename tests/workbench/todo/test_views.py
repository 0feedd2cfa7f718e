"""Task pages: scope (a manager never sees another's task: 404; a supervisor their subtree; another
bank never), create/edit/complete, bulk actions from the lists, XLSX, bounded query counts, the
360 section and the next action logged from the 360 page."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from tests.factories import make_customer
from tests.support.mfa import second_factor_queries
from workbench.todo import services as tasks
from workbench.todo.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english_staff):
    """The pages' messages are read in English (staff read Chinese by default)."""


def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def world(org):
    customer = make_customer("C-TV-1", org.a_sh, org.manager)
    return {
        "customer": customer,
        "mine": tasks.create_task(assignee=org.manager, title="Mine", customer=customer, due_date=datetime.date(2026, 12, 7)),
        "sub": tasks.create_task(assignee=org.manager_sub, title="Sub-branch's", due_date=datetime.date(2026, 12, 7)),
        "bj": tasks.create_task(assignee=org.manager_bj, title="Beijing's", due_date=datetime.date(2026, 12, 7)),
        "b": tasks.create_task(assignee=org.b_manager, title="Bank B's", due_date=datetime.date(2026, 12, 7)),
    }


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("manager", {"mine"}),
        ("manager_sub", {"sub"}),
        ("supervisor", {"mine", "sub"}),
        ("b_manager", {"b"}),
    ],
)
def test_task_pages_are_scoped(client, org, world, who, visible):
    user = getattr(org, who)
    logged_in(client, user)
    for key, task in world.items():
        if key == "customer":
            continue
        status = client.get(reverse("workbench:task", args=[task.pk])).status_code
        assert status == (200 if key in visible else 404), (key, status)
        posted = client.post(reverse("workbench:task_complete", args=[task.pk]))
        assert posted.status_code in ((302,) if key in visible else (404,)), key
    hidden = [task.pk for key, task in world.items() if key not in visible and key != "customer"]
    assert not Task.objects.filter(pk__in=hidden, status=Task.Status.DONE).exists()


def test_team_list_is_the_supervisors_subtree_and_managers_are_refused(client, org, world):
    logged_in(client, org.supervisor)
    page = client.get(reverse("workbench:team_tasks")).content.decode()
    assert "Mine" in page and "Sub-branch&#x27;s" in page
    assert "Beijing" not in page and "Bank B" not in page
    logged_in(client, org.manager)
    assert client.get(reverse("workbench:team_tasks")).status_code == 403
    mine = client.get(reverse("workbench:tasks")).content.decode()
    assert "Mine" in mine and "Sub-branch" not in mine


def test_bulk_reassign_from_the_team_list(client, org, world):
    logged_in(client, org.supervisor)
    response = client.post(
        reverse("workbench:task_bulk"),
        {"action": "reassign", "tasks": [world["mine"].pk, world["sub"].pk], "assignee": org.manager_sub.pk, "next": "team"},
    )
    assert response.status_code == 302 and response.url == reverse("workbench:team_tasks")
    assert set(Task.objects.filter(assignee=org.manager_sub).values_list("title", flat=True)) == {"Mine", "Sub-branch's"}
    # Outside the subtree: refused (404), nothing changes.
    response = client.post(reverse("workbench:task_bulk"), {"action": "complete", "tasks": [world["bj"].pk, world["sub"].pk]})
    assert response.status_code == 404
    assert Task.objects.open().count() == 4
    # A colleague outside the subtree is not a choice.
    response = client.post(
        reverse("workbench:task_bulk"), {"action": "reassign", "tasks": [world["sub"].pk], "assignee": org.manager_bj.pk}
    )
    assert Task.objects.get(pk=world["sub"].pk).assignee == org.manager_sub


def test_create_edit_and_complete_a_task_through_the_pages(client, org, world):
    logged_in(client, org.manager)
    response = client.post(
        reverse("workbench:task_create"),
        {"title": "Visit", "customer": "C-TV-1", "due_date": "2026-12-10", "due_time": "14:30", "priority": "3"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    task = Task.objects.get(title="Visit")
    assert task.customer == world["customer"] and task.assignee == org.manager and task.created_by == org.manager
    # Another manager's customer: the field says so.
    other = make_customer("C-TV-2", org.a_bj, org.manager_bj)
    response = client.post(reverse("workbench:task_create"), {"title": "Peek", "customer": other.number, "priority": "2"})
    assert response.status_code == 200 and "No customer of yours has this number." in response.content.decode()
    response = client.post(
        reverse("workbench:task", args=[task.pk]), {"title": "Visit at home", "due_date": "2026-12-11", "priority": "2"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.due_date, task.due_time) == ("Visit at home", datetime.date(2026, 12, 11), None)
    response = client.post(reverse("workbench:task_complete", args=[task.pk]), {"outcome": "Signed", "next": "board"})
    assert response.url == reverse("workbench:task_board")
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.outcome == "Signed"


def test_lists_and_board_have_bounded_query_counts(client, org, django_assert_max_num_queries):
    customers = [make_customer(f"C-QC-{i}", org.a_sh, org.manager) for i in range(5)]
    for i in range(60):
        tasks.create_task(assignee=org.manager, title=f"T{i}", customer=customers[i % 5], due_date=datetime.date.today())
        tasks.create_task(assignee=org.manager_sub, title=f"S{i}", due_date=datetime.date.today())
    logged_in(client, org.manager)
    with django_assert_max_num_queries(12 + second_factor_queries(org.manager)):
        assert client.get(reverse("workbench:tasks") + "?per_page=100").status_code == 200
    with django_assert_max_num_queries(12 + second_factor_queries(org.manager)):
        assert client.get(reverse("workbench:task_board")).status_code == 200
    logged_in(client, org.supervisor)
    with django_assert_max_num_queries(14 + second_factor_queries(org.supervisor)):
        assert client.get(reverse("workbench:team_tasks") + "?per_page=100").status_code == 200


def test_xlsx_export_holds_the_filtered_rows_with_masked_names(client, org, world):
    tasks.create_task(assignee=org.manager, title="High one", priority=Task.Priority.HIGH)
    logged_in(client, org.manager)
    response = client.get(reverse("workbench:tasks") + "?export=xlsx&priority=2")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    titles = [row[0] for row in rows[1:]]
    assert titles == ["Mine"]
    assert "王伟" not in str(rows)


def test_the_360_page_shows_the_customers_tasks_and_logs_a_next_action(client, org, world):
    logged_in(client, org.manager)
    page = client.get(world["customer"].get_absolute_url()).content.decode()
    section_url = reverse("workbench:customer_tasks", args=[world["customer"].number])
    assert 'id="customer-tasks-section"' in page and section_url in page  # drawn by htmx: no query on the 360 page
    section = client.get(section_url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="customer-tasks"' in section and f'id="customer-task-{world["mine"].pk}"' in section
    # Another manager's customer: 404.
    logged_in(client, org.manager_bj)
    assert client.get(section_url).status_code == 404
    logged_in(client, org.manager)
    response = client.post(
        reverse("customers:contact_log", args=[world["customer"].number]),
        {
            "channel": "phone",
            "role": "manager",
            "occurred_at": "2026-12-01T10:00",
            "subject": "Review",
            "next_action": "Send the brochure",
            "next_action_date": "2099-01-02",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get(source=Task.Source.CONTACT)
    assert task.title == "Send the brochure" and task.customer == world["customer"]
