"""The rate board in a real browser, in English and in Chinese: a teller opens it from the
navigation, sees each rate's source and the as-of time in their own zone, the board refreshes
itself when a new rate is posted (htmx polling, no reload), and the converter answers beside it."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.master.models import FxRate
from sysadmin.org.models import Staff
from sysadmin.parameters import services as parameters
from tests.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (nav section, board entry, the manual source, the feed source, the converter's button)
LANGUAGES = {
    "en": ("Customers", "Exchange rate board", "Manual posting", "Rates feed", "Convert"),
    "zh-hans": ("客户", "外汇牌价", "手工发布", "牌价文件", "换算"),
}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_board_shows_source_and_as_of_time_and_refreshes_itself(page, live_server, org, language):
    section, entry, manual, feed, convert = LANGUAGES[language]
    Staff.objects.filter(pk=org.teller.pk).update(language=language, time_zone="Europe/London")
    parameters.set_value("fx.board_refresh_seconds", "1", bank=org.bank_a, actor=org.admin)
    posted = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(hours=1)
    FxRate.objects.create(
        bank=org.bank_a, currency="USD", rate=Decimal("7.1000"), buy_transfer=Decimal("7.0893"),
        sell_transfer=Decimal("7.1107"), buy_cash=Decimal("7.0432"), sell_cash=Decimal("7.1107"),
        effective_at=posted, source=FxRate.Source.MANUAL, posted_by=org.product_manager,
    )  # fmt: skip
    FxRate.objects.create(bank=org.bank_b, currency="EUR", rate=Decimal("8.4321"), effective_at=posted)

    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, org.teller.username)
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator("#mainnav .nav-link.dropdown-toggle", has_text=section).click()
    page.locator("#mainnav .dropdown-menu").get_by_role("link", name=entry).click()

    board = page.locator("#fx-board")
    london = posted.astimezone(zoneinfo.ZoneInfo("Europe/London"))
    expect(page.locator("#fx-as-of")).to_contain_text(london.strftime("%Y-%m-%d %H:%M"))
    expect(page.locator("#fx-as-of")).to_contain_text("Europe/London")
    usd = board.locator("tr[data-currency=USD]")
    expect(usd).to_contain_text("7.0432")
    expect(usd.locator(".fx-source")).to_contain_text(manual)
    expect(board).not_to_contain_text("8.4321")  # another bank's rate
    expect(page.locator("#fx-stale")).to_have_count(0)

    # A rates feed posts HKD: the open board shows it by itself, with its source.
    FxRate.objects.create(bank=org.bank_a, currency="HKD", rate=Decimal("0.9112"), effective_at=timezone.now())
    expect(board.locator("tr[data-currency=HKD] .fx-source")).to_contain_text(feed, timeout=10000)

    # The converter answers beside the board.
    page.fill("#id_amount", "1234.56")
    page.select_option("#id_from_currency", "USD")
    page.select_option("#id_to_currency", "CNY")
    page.get_by_role("button", name=convert).click()
    expect(page.locator("#fx-result")).to_have_text("8752.17")
