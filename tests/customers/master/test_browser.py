"""The customer manager's round trip in a real browser, in English and in Chinese: search by
a two-character Chinese name fragment, open the 360° page, change a phone number, see it
(masked) on the 360° page; then the auditor finds the audit entry of that change."""

import pytest
from playwright.sync_api import expect

from customers.master.models import ContactPoint
from ocrm import pii
from tests.conftest import login
from tests.factories import make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OLD_PHONE = "+8613812345678"
NEW_PHONE = "+8613900001111"

# (language cookie, the nav section "Customers", the audit action "Update", the contacts page title word)
LANGUAGES = {
    "en": ("Customers", "Update", "Contact points"),
    "zh-hans": ("客户", "更新", "联系方式"),
}


def use_language(page, live_server, language):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_search_open_edit_phone_and_audit(page, live_server, org, language):
    nav_label, update_label, contacts_label = LANGUAGES[language]
    customer = make_customer("C7001", org.a_sh, org.manager, name_local="王伟东", name_latin="Wang Weidong")
    make_customer("C7002", org.a_sh, org.manager, name_local="李娜", name_latin="Li Na")
    make_customer("C7003", org.a_bj, org.manager_bj, name_local="王伟华")  # same fragment, another manager's
    phone = ContactPoint.objects.create(
        bank_id=customer.bank_id, customer=customer, kind="mobile", value=OLD_PHONE, is_primary=True
    )

    use_language(page, live_server, language)
    login(page, org.manager.username)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("nav.navbar")).to_contain_text(nav_label)

    # Search by a two-character Chinese fragment: only this manager's match.
    page.goto("/customers/")
    page.fill("#filter-form input[name=q]", "王伟")
    page.locator("#filter-form button[type=submit]").first.click()
    table = page.locator("table")
    expect(table).to_contain_text("C7001")
    assert "/customers/?s=" in page.url and "q=" not in page.url  # the search was posted (issue 11 #4)
    expect(table).not_to_contain_text("C7002")
    expect(table).not_to_contain_text("C7003")

    # Open the 360 page; the phone is masked for a manager without the unmask permission.
    table.get_by_role("link", name="C7001").click()
    expect(page.locator("#customer-number")).to_have_text("C7001")
    expect(page.locator("#contact-points")).to_contain_text(pii.mask_phone(OLD_PHONE))
    assert OLD_PHONE not in page.content()

    # Edit the phone number.
    page.click("#contacts-edit")
    expect(page.locator("h1")).to_contain_text(contacts_label)
    page.fill("#id_contacts-0-value", "139 0000 1111")
    page.click("#contacts-save")
    expect(page.locator("#customer-number")).to_have_text("C7001")
    expect(page.locator("#contact-points")).to_contain_text(pii.mask_phone(NEW_PHONE))
    expect(page.locator("#contact-points")).not_to_contain_text(pii.mask_phone(OLD_PHONE))
    assert NEW_PHONE not in page.content()
    phone.refresh_from_db()
    assert phone.value == NEW_PHONE

    # The auditor finds the change on the audit page.
    use_language(page, live_server, language)
    login(page, org.auditor.username)
    expect(page.locator("nav.navbar")).to_contain_text(nav_label)
    page.goto(f"/sysadmin/audit/?object_type=customers.contactpoint&object_id={phone.pk}")
    rows = page.locator("#audit-table tbody tr")
    expect(rows.filter(has_text=update_label)).to_have_count(1)
    expect(rows.filter(has_text=update_label)).to_contain_text(org.manager.username)
