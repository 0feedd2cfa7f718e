"""The dashboard in a real browser, in English and in Chinese: a supervisor logs in, the cards
load on their own (htmx), the today list shows the request waiting for their decision, they
drill down to a sub-branch, and set the today item aside with a reason."""

import pytest
from playwright.sync_api import expect

from customers.master import services as master
from tests.conftest import login
from tests.factories import make_customer
from workbench.dashboard.models import DeskDismissal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (language cookie, the today card's title, the waiting requests' text, the snooze button, the book card's title)
LANGUAGES = {
    "en": ("Today", "wait for your decision", "Snooze", "My book"),
    "zh-hans": ("今日", "等待您审批", "稍后提醒", "我的客户"),
}


def use_language(page, live_server, language):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_dashboard_loads_its_cards_and_the_today_list(page, live_server, org, language):
    today_label, waiting_text, snooze_label, book_label = LANGUAGES[language]
    make_customer("C8001", org.a_sh, org.manager, name_local="王伟东", aum=1000)
    make_customer("C8002", org.a_sh_sub, org.manager_sub, name_local="李娜", aum=2000)
    make_customer("C8003", org.a_bj, org.manager_bj, name_local="张伟")  # outside the supervisor's subtree
    waiting = make_customer("C8004", org.a_sh, org.manager, name_local="陈静")
    master.update_customer(waiting, {"name_latin": "Chen Jing"}, org.manager)

    use_language(page, live_server, language)
    login(page, org.supervisor.username)
    page.goto("/workbench/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#today")).to_contain_text(today_label)
    expect(page.locator("#today-list")).to_contain_text(waiting_text)
    expect(page.locator("#card-book")).to_contain_text(book_label)
    expect(page.locator("#book-total")).to_have_text("3")
    expect(page.locator("#breakdown-branches")).to_contain_text(org.a_sh_sub.name_local)
    expect(page.locator("#transactions-table")).to_be_visible()
    expect(page.locator("#card-work #work-open")).to_have_text("0")

    # Drill down to the sub-branch: its customers only.
    page.locator("#breakdown-branches a.drill").first.click()
    expect(page.locator("#dashboard-node")).to_contain_text(org.a_sh_sub.name_local)
    expect(page.locator("#book-total")).to_have_text("1")

    # Set the waiting requests aside for a while, with a reason: gone from the list, reason kept.
    page.goto("/workbench/")
    item = page.locator(".today-item").first
    item.locator("summary").click()
    item.locator("input[name=reason]").fill("after the branch meeting")
    item.get_by_role("button", name=snooze_label).click()
    expect(page.locator("#today-empty")).to_be_visible()
    assert DeskDismissal.objects.get().reason == "after the branch meeting"
