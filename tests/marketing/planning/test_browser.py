"""Wealth planning in a real browser, in English and in Chinese: a manager opens a customer's 360
page (the plans section loads its list with htmx), builds a plan, previews it (only suitable
products), saves the illustration and opens its print view; the 360 page then lists version 1."""

import datetime

import pytest
from playwright.sync_api import expect

from customers.master.models import Product
from marketing.planning.models import PlanIllustration
from sysadmin.org.models import Staff
from tests.conftest import login
from tests.factories import make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (no illustration yet, preview, save, version 1, print view, disclosure words)
LANGUAGES = {
    "en": ("No plan illustration yet.", "Preview", "Save illustration", "Version 1", "Print view", "for reference only"),
    "zh-hans": ("尚无规划演示。", "预览", "保存规划演示", "第 1 版", "打印视图", "仅供参考"),
}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_manager_builds_a_plan_saves_the_illustration_and_prints_it(page, live_server, org, language):
    empty, preview, save, version, print_view, disclosure = LANGUAGES[language]
    Staff.objects.filter(pk=org.manager.pk).update(language=language)
    customer = make_customer("C-PLAN-B", org.a_sh, org.manager, risk_level="R2")
    for code, kind, risk in (("TD1", "time_deposit", "R1"), ("WM2", "wealth", "R2"), ("FD5", "fund", "R5")):
        Product.objects.create(
            bank=org.bank_a, code=code, name_local=code, category="asset", product_type=kind, currency="CNY", risk_level=risk
        )
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, org.manager.username)
    page.goto(f"/customers/{customer.number}/")
    expect(page.locator("#plan-illustrations")).to_contain_text(empty)  # loaded by htmx
    page.click("#plan-new")
    page.fill("input[name=goal_1_name]", "Home")
    page.fill("input[name=goal_1_amount]", "800000")
    page.fill("input[name=goal_1_date]", (datetime.date.today() + datetime.timedelta(days=3650)).isoformat())
    page.fill("input[name=other_bank_assets]", "50000")
    page.get_by_role("button", name=preview).click()
    allocation = page.locator("#plan-allocation")
    expect(allocation).to_contain_text("WM2")
    expect(allocation).not_to_contain_text("FD5")  # above the customer's R2
    page.get_by_role("button", name=save).click()
    expect(page.locator("h1")).to_contain_text(version)
    page.click("#plan-print")
    expect(page.locator("#plan-disclosure")).to_contain_text(disclosure)
    expect(page.locator("#plan-goals")).to_contain_text("Home")
    assert PlanIllustration.objects.filter(customer=customer).count() == 1
    page.goto(f"/customers/{customer.number}/")
    expect(page.locator("#plan-illustrations")).to_contain_text(version)
