"""A manager's scorecard in a real browser, in English and in Chinese: the manager opens it from
the navigation, sees the points and the chart, follows a KPI to the snapshot rows behind it (their
own customers named), reads the rule and the weight used, and comes back."""

import pytest
from playwright.sync_api import expect

from reports.appraisal import services
from sysadmin.org.models import Staff
from tests.conftest import login
from tests.reports.factories_appraisal import NOV_END, make_scheme, november

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (nav section, nav entry, the title's word, the indicator's link, the rule's label, back)
LANGUAGES = {
    "en": ("Reports", "My scorecard", "Scorecard", "New customers", "Rule", "Back to the scorecard"),
    "zh-hans": ("报表", "我的绩效积分卡", "积分卡", "新增客户", "规则", "返回积分卡"),
}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_manager_follows_a_kpi_to_its_source_rows(page, live_server, org, language):
    section, entry, title, indicator, rule, back = LANGUAGES[language]
    make_scheme(org.bank_a)
    november(org)
    services.score_period(org.bank_a.pk, "month", NOV_END)
    Staff.objects.filter(pk=org.manager.pk).update(language=language)

    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, org.manager.username)
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator("#mainnav .nav-link.dropdown-toggle", has_text=section).click()
    page.locator("#mainnav .dropdown-menu").get_by_role("link", name=entry).click()

    expect(page.locator("#scorecard-title")).to_contain_text(title)
    expect(page.locator("#score-total")).to_have_text("87.00")
    expect(page.locator("#kpi-score-chart")).to_be_visible()
    lines = page.locator("#score-lines")
    expect(lines).to_contain_text("32.00")
    lines.locator("a.kpi-line-link", has_text=indicator).click()

    expect(page.locator("#line-rule")).to_contain_text(rule)
    expect(page.locator("#line-rule")).to_contain_text("20.00")  # the weight used
    expect(page.locator("#line-rows-total")).to_contain_text("2.00")
    table = page.locator("table").last
    expect(table).to_contain_text("C-KPI-4")
    expect(table).to_contain_text("C-KPI-5")
    expect(table).not_to_contain_text("C-KPI-1")
    table.get_by_role("link", name="C-KPI-4").wait_for()
    page.get_by_role("link", name=back).click()
    expect(page.locator("#score-total")).to_have_text("87.00")
