"""Two colleagues exchange messages in real browsers, in English and in Chinese: Shanghai writes
to London, London sees the message with the sender's local time and Shanghai's clock in the
header, replies, and the reply appears on Shanghai's open page without a reload (the poll)."""

import pytest
from playwright.sync_api import expect

from tests.conftest import login
from tests.factories import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (language cookie, the navigation's "Messages", the "for the sender" words of a message)
LANGUAGES = {
    "en": ("Messages", "for the sender"),
    "zh-hans": ("消息", "发送人当地"),
}


def use_language(page, base_url, language):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_two_staff_exchange_messages_and_see_each_others_local_time(browser, page, live_server, org, language):
    nav_label, sender_words = LANGUAGES[language]
    london = make_staff("a.mgr.ldn", branch=org.a_ldn, roles=["customer_manager"])

    # Shanghai starts the conversation.
    use_language(page, live_server.url, language)
    login(page, org.manager.username)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("nav.navbar")).to_contain_text(nav_label)
    page.goto(f"/workbench/messages/new/?to={london.username}")
    page.fill("#message-body", "上海早上好 — morning from Shanghai")
    page.click("#start-button")
    expect(page.locator("#messages")).to_contain_text("morning from Shanghai")
    expect(page.locator("#conversation-people")).to_contain_text("Europe/London")
    conversation_url = page.url

    # London, in a browser of their own, sees it unread, opens it and sees Shanghai's time.
    other = browser.new_context(base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900})
    try:
        london_page = other.new_page()
        london_page.set_default_timeout(15000)
        use_language(london_page, live_server.url, language)
        login(london_page, london.username)
        london_page.goto("/workbench/messages/")
        expect(london_page.locator(".conversation-row .unread")).to_have_count(1)
        london_page.locator(".conversation-row").first.click()
        message = london_page.locator(".message").filter(has_text="morning from Shanghai")
        expect(message.locator(".message-sender-time")).to_contain_text(sender_words)
        expect(message.locator(".message-sender-time")).to_contain_text("Asia/Shanghai")
        expect(london_page.locator("#conversation-people")).to_contain_text("Asia/Shanghai")
        expect(london_page.locator("#conversation-people .person-status")).to_have_count(1)

        # London replies; Shanghai's open page shows it without a reload, with London's local time.
        london_page.fill("#message-body", "Hello from London")
        london_page.click("#send-button")
        expect(london_page.locator("#messages")).to_contain_text("Hello from London")
    finally:
        other.close()
    assert page.url == conversation_url
    reply = page.locator(".message").filter(has_text="Hello from London")
    expect(reply).to_have_count(1, timeout=20000)
    expect(reply.locator(".message-sender-time")).to_contain_text("Europe/London")
    expect(reply.locator(".message-sender-time")).to_contain_text(sender_words)
