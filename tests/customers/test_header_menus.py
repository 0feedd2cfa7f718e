"""The navigation menus open over the 360 page's sticky customer header (issue 12.3): on a
desktop and on a phone-sized screen, "Log out" in the user menu and "My exports" in the
Customers menu take the click (not the header's Edit button below them) and navigate."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import login
from tests.factories import make_customer
from tests.support.waiting import open_phone_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("english_staff")]

SCREENS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}


def open_menus(page, screen):
    """On a phone the menus sit behind the navbar's toggler."""
    if screen == "phone":
        open_phone_menu(page)


def open_360(page, live_server, org, screen):
    page.set_viewport_size(SCREENS[screen])
    customer = make_customer("C8101", org.a_sh, org.manager, name_local="周明", name_latin="Zhou Ming")
    login(page, org.manager.username)
    page.goto(f"/customers/{customer.number}/")
    expect(page.locator("#customer-header")).to_be_visible()
    open_menus(page, screen)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_log_out_in_the_user_menu_takes_the_click(page, live_server, org, screen):
    open_360(page, live_server, org, screen)
    page.locator("#user-menu").click()
    logout = page.locator("#logout-button")
    expect(logout).to_be_visible()
    # Playwright clicks only when the button itself receives the pointer event at its centre:
    # a header stacked above the menu fails the click ("... intercepts pointer events").
    logout.click(timeout=5000)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto(f"/customers/{'C8101'}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))  # really logged out


@pytest.mark.parametrize("screen", list(SCREENS))
def test_my_exports_in_the_customers_menu_takes_the_click(page, live_server, org, screen):
    open_360(page, live_server, org, screen)
    page.locator("#mainnav .nav-link.dropdown-toggle", has_text="Customers").click()
    entry = page.locator("#mainnav .dropdown-menu.show a.dropdown-item", has_text="My exports")
    expect(entry).to_be_visible()
    entry.click(timeout=5000)
    expect(page).to_have_url(re.compile(re.escape(reverse("export_list")) + "$"))


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_menu_entry_lies_above_the_sticky_header(page, live_server, org, screen):
    """Whatever the menu, the element at each entry's centre is the entry itself (or inside it)."""
    open_360(page, live_server, org, screen)
    toggles = page.locator("#mainnav [data-bs-toggle=dropdown]")
    checked = 0
    for index in range(toggles.count()):
        toggles.nth(index).click()
        items = page.locator("#mainnav .dropdown-menu.show .dropdown-item")
        for position in range(items.count()):
            items.nth(position).scroll_into_view_if_needed()
            on_top = items.nth(position).evaluate(
                """item => { const r = item.getBoundingClientRect();
                              const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                              return hit !== null && item.contains(hit); }"""
            )
            assert on_top, (screen, index, items.nth(position).inner_text())
            checked += 1
        page.keyboard.press("Escape")
    assert checked >= 5


def test_english_column_headers_and_summary_labels_start_with_a_capital(page, live_server, org):
    """Verbose names are lower case ("customer number", "tier"): every table header and summary
    label is shown with a capital first letter (issue 12.10), the list's and the 360 page's."""
    open_360(page, live_server, org, "desktop")
    shown = "els => els.map(el => el.innerText.trim()).filter(text => /^[a-z]/i.test(text))"  # as rendered
    labels = page.locator("#customer-summary dt").evaluate_all(shown)
    assert len(labels) >= 5 and all(label[0].isupper() for label in labels), labels
    page.goto("/customers/")
    expect(page.locator("table th").first).to_be_visible()
    headers = page.locator("table th").evaluate_all(shown)
    assert len(headers) >= 5 and all(header[0].isupper() for header in headers), headers
