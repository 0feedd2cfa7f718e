"""A manager's round trip in a real browser, in English and in Chinese: from a customer's 360 page
create a task with a time, see it on the board and in the calendar, complete it."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import login
from tests.factories import make_customer
from workbench.calendar import services as calendar
from workbench.todo.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (the nav entry "Task board", the calendar's "Day" button, the board's done message word)
LANGUAGES = {
    "en": ("Task board", "Day", "done"),
    "zh-hans": ("任务看板", "日", "已完成"),
}


def use_language(page, live_server, language):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_create_a_task_for_a_customer_see_it_on_the_board_and_calendar_and_complete_it(page, live_server, org, language):
    board_label, day_label, done_word = LANGUAGES[language]
    customer = make_customer("C8001", org.a_sh, org.manager, name_local="王伟东", name_latin="Wang Weidong")
    today = timezone.localtime(timezone.now(), calendar.person_zone(org.manager)).date()

    use_language(page, live_server, language)
    login(page, org.manager.username)
    expect(page.locator("nav.navbar")).to_contain_text(board_label)

    # From the 360 page's tasks section (drawn by htmx).
    page.goto(f"/customers/{customer.number}/")
    page.locator("#customer-task-create").click()
    expect(page.locator("#id_customer")).to_have_value("C8001")
    page.fill("#id_title", "Call about the maturity")
    page.fill("#id_due_date", today.isoformat())
    page.fill("#id_due_time", "23:59")
    page.click("#task-submit")

    # The board (today, or overdue in the last minute of the day).
    assert page.url.endswith("/workbench/tasks/board/")
    card = page.locator(".board-task", has_text="Call about the maturity")
    expect(card).to_have_count(1)
    task = Task.objects.get(title="Call about the maturity")
    assert task.customer == customer and task.due_at == datetime.datetime.combine(
        today, datetime.time(23, 59), tzinfo=calendar.person_zone(org.manager)
    )

    # The calendar's day view shows it at its local time, with the masked name only.
    page.goto("/workbench/calendar/?view=week")
    page.get_by_role("link", name=day_label, exact=True).click()
    event = page.locator(".calendar-tasks", has_text="Call about the maturity")
    expect(event).to_contain_text("23:59")
    expect(event).to_contain_text("王**")
    assert "王伟东" not in page.locator("#calendar-grid").inner_text()

    # Complete it from the board.
    page.goto("/workbench/tasks/board/")
    page.locator(".board-task", has_text="Call about the maturity").locator(".task-done").click()
    expect(page.locator(".alert")).to_contain_text(done_word)
    expect(page.locator(".board-task", has_text="Call about the maturity")).to_have_count(0)
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.closed_by == org.manager
