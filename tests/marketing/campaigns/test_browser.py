"""A campaign in a real browser, in English and in Simplified Chinese: a marketing manager builds a
campaign from a customer group and reads the dry run's funnel, another approves it in the approvals
inbox, the customer's manager sees the task and records a conversion on the 360 page, and the
evaluation page shows it."""

import pytest
from playwright.sync_api import expect

from customers.master.models import CustomerGroup
from marketing.campaigns.models import Campaign
from tests.conftest import login
from tests.factories import make_staff
from tests.marketing.campaigns.conftest import consenting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "en": {"saved": "saved as a draft", "dry": "Dry run done: 1 customers would be reached.", "converted": "Converted"},
    "zh-hans": {"saved": "营销活动已保存为草稿", "dry": "试运行完成：将触达 1 位客户。", "converted": "已转化"},
}


def use_language(page, live_server, language):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_campaign_from_group_to_evaluation(page, live_server, org, language):
    texts = TEXTS[language]
    name = f"定期存款推广 {language}"
    target = consenting("C-BR-1", org.a_sh, org.manager)
    consenting("C-BR-2", org.a_sh, org.manager, do_not_contact=True)
    group = CustomerGroup.objects.create(bank=org.bank_a, owner=org.marketing_manager, name="储蓄客户")
    group.members.set(type(target).objects.filter(number__in=["C-BR-1", "C-BR-2"]))
    checker = make_staff("a.mm.checker", branch=org.a_ho, roles=["marketing_manager"])

    # The marketing manager builds it from the group and reads the funnel.
    use_language(page, live_server, language)
    login(page, org.marketing_manager.username)
    page.goto("/marketing/campaigns/new/")
    page.fill("#id_name", name)
    page.fill("#id_goal", "一年期定期存款")
    page.fill("#id_starts_on", "2026-12-01")
    page.fill("#id_ends_on", "2027-01-31")
    page.select_option("#id_branch", str(org.a_ho.pk))
    page.select_option("#id_group", str(group.pk))
    page.fill("#id_holdout_percent", "0")
    page.fill("#id_cost_per_contact", "3")
    page.click("#campaign-save")
    expect(page.locator(".alert").first).to_contain_text(texts["saved"])
    page.click("#campaign-dry-run")
    expect(page.locator(".alert").first).to_contain_text(texts["dry"])
    expect(page.locator('#campaign-funnel tr[data-rule="candidates"] .funnel-count')).to_have_text("2")
    expect(page.locator('#campaign-funnel tr[data-rule="do_not_contact"] .funnel-count')).to_have_text("1")
    expect(page.locator("#summary-cost")).to_contain_text("3")
    page.click("#campaign-submit")
    campaign = Campaign.objects.get(name=name)
    assert campaign.status == Campaign.Status.PENDING

    # Another marketing manager approves it in the approvals inbox.
    use_language(page, live_server, language)
    login(page, checker.username)
    page.goto(f"/workbench/inbox/{campaign.change_request_id}/")
    page.click("#detail-approve")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.LAUNCHED

    # The manager sees the task and records the conversion on the customer's page.
    use_language(page, live_server, language)
    login(page, org.manager.username)
    page.goto("/workbench/tasks/")
    expect(page.get_by_text(name).first).to_be_visible()
    page.goto(f"/customers/{target.number}/")
    member = page.locator(f'.campaign-member[data-campaign="{name}"]')
    member.get_by_role("button", name=texts["converted"]).click()
    expect(page.locator(".alert").first).to_contain_text(texts["converted"])

    # The evaluation page shows it.
    use_language(page, live_server, language)
    login(page, org.marketing_manager.username)
    page.goto(f"/marketing/campaigns/{campaign.pk}/evaluation/")
    expect(page.locator("#eval-converted")).to_have_text("1")
    expect(page.locator("#campaign-chart")).to_be_visible()
