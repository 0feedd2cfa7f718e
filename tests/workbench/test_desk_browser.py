"""The manager's morning loop across the workbench's areas, in a real browser and in both languages:
the nightly job's maturity reminder is on the dashboard, the manager turns it into a task, completes
it, and the day's work report draft lists it among the tasks done."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.master.models import Holding
from tests.conftest import login
from tests.factories import make_customer, make_product
from workbench.reminders import services as reminders
from workbench.reminders.models import Reminder
from workbench.todo.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (language, "Turn into a task", the daily report button's label)
LANGUAGES = {
    "en": ("Turn into a task", "Daily report"),
    "zh-hans": ("转为任务", "日报"),
}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_maturity_reminder_becomes_a_task_done_and_reported(page, live_server, org, language):
    to_task, daily = LANGUAGES[language]
    org.manager.language = language
    org.manager.save(update_fields=["language"])
    customer = make_customer("C9001", org.a_sh, org.manager, name_local="王芳")
    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo("Asia/Shanghai")).date()
    maturity = today + datetime.timedelta(days=7)
    Holding.objects.create(
        bank_id=org.bank_a.pk,
        customer=customer,
        product=make_product(org.bank_a, code="TD-CNY", product_type="time_deposit"),
        account_number="TD-9001-1",
        currency="CNY",
        balance=200_000,
        maturity_date=maturity,
    )
    # Last night's job for Shanghai; its delivery moment (09:00 local, next working day) is moved
    # to a minute ago so that the test does not depend on the hour or the weekday it runs.
    reminders.generate(org.bank_a.pk, today)
    Reminder.objects.update(deliver_at=timezone.now() - datetime.timedelta(minutes=1))
    reminders.deliver_due()
    reminder = Reminder.objects.get()

    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, org.manager.username)
    page.goto("/")
    item = page.locator(".today-item[data-kind=reminders]")
    expect(item).to_contain_text(maturity.isoformat())
    item.get_by_role("button", name=to_task).click()

    task = Task.objects.get()
    assert (task.source, task.customer, task.assignee) == (Task.Source.REMINDER, customer, org.manager)
    assert Reminder.objects.get(pk=reminder.pk).status == Reminder.Status.TASKED
    expect(page).to_have_url(f"{live_server.url}/workbench/tasks/{task.pk}/")
    page.locator("#task-complete").click()
    expect(page.locator("#task-complete")).to_have_count(0)
    assert Task.objects.get().status == Task.Status.DONE

    page.goto("/workbench/reports/")
    page.get_by_role("button", name=daily, exact=True).click()
    expect(page.locator("body")).to_contain_text(task.title)
