"""Announcements in a real browser, in English and in Simplified Chinese: a supervisor writes an
announcement that requires acknowledgement for their branch and publishes it; a manager of the
branch sees it in the list (badge in the navigation), opens it and acknowledges it; the
publisher's reach page then shows the acknowledgement and who is still missing."""

import pytest
from playwright.sync_api import expect

from tests.conftest import login
from workbench.announcements.models import Announcement, AnnouncementReceipt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "en": {
        "saved": "saved as a draft",
        "published": "The announcement is published.",
        "ack": "I have read and understood",
        "thanks": "your acknowledgement is recorded",
        "reach": "4 people in the audience, 1 opened, 1 acknowledged.",
    },
    "zh-hans": {
        "saved": "公告已保存为草稿",
        "published": "公告已发布。",
        "ack": "已阅读并理解",
        "thanks": "您的确认已记录",
        "reach": "受众 4 人，已打开 1 人，已确认 1 人。",
    },
}


def use_language(page, live_server, language):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_announcement_is_acknowledged_and_the_reach_page_shows_it(page, live_server, org, language):
    texts = TEXTS[language]
    title = f"反洗钱制度更新 {language}"

    # The supervisor writes and publishes it for their branch (and the branches below).
    use_language(page, live_server, language)
    login(page, org.supervisor.username)
    page.goto("/workbench/announcements/manage/new/")
    page.select_option("#id_kind", "business")
    page.fill("#id_title", title)
    page.fill("#id_body", "<p>请全体员工阅读<strong>新制度</strong>。</p><script>alert(1)</script>")
    page.select_option("#id_branches", str(org.a_sh.pk))
    page.check("#id_requires_ack")
    page.click("#announcement-save")
    expect(page.locator(".alert").first).to_contain_text(texts["saved"])
    page.click("#announcement-publish")
    expect(page.locator(".alert").first).to_contain_text(texts["published"])
    announcement = Announcement.objects.get(title=title)
    assert announcement.status == Announcement.Status.PUBLISHED and "<script" not in announcement.body

    # The manager sees it (with a badge in the navigation), opens it and acknowledges it.
    use_language(page, live_server, language)
    login(page, org.manager.username)
    page.goto("/workbench/announcements/")
    expect(page.locator('a[href="/workbench/announcements/"] .badge')).to_have_text("1")
    page.locator(f'[data-announcement="{announcement.pk}"]').click()
    expect(page.locator("#announcement-title")).to_contain_text(title)
    expect(page.locator("#announcement-body strong")).to_have_text("新制度")
    page.get_by_role("button", name=texts["ack"]).click()
    expect(page.locator(".alert").first).to_contain_text(texts["thanks"])
    expect(page.locator("#ack-done")).to_be_visible()
    receipt = AnnouncementReceipt.objects.get(announcement=announcement, staff=org.manager)
    assert receipt.acknowledged_at is not None

    # The publisher's reach page shows it: counts per branch and who has not acknowledged yet.
    use_language(page, live_server, language)
    login(page, org.supervisor.username)
    page.goto(f"/workbench/announcements/manage/{announcement.pk}/")
    page.click("#announcement-reach-link")
    expect(page.locator("#reach-totals")).to_have_text(texts["reach"])
    expect(page.locator('#reach-branches tr[data-branch="A-SH"] .reach-not-acked')).to_have_text("2")
    expect(page.locator('#reach-branches tr[data-branch="A-SH-1"] .reach-not-acked')).to_have_text("1")
    expect(page.locator('#reach-people tr[data-username="a.mgr.sh"]')).to_have_count(0)
    expect(page.locator('#reach-people tr[data-username="a.teller"]')).to_have_count(1)
    page.goto(f"/workbench/announcements/manage/{announcement.pk}/reach/?missing=all")
    expect(page.locator('#reach-people tr[data-username="a.mgr.sh"] .reach-acked-at')).not_to_be_empty()
