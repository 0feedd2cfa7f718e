"""Products and bundles in a real browser, in English and in Simplified Chinese: a product manager
opens the catalog, builds a bundle for retirees (a suitable and an unsuitable product, a minimum
age), and the manager of a 65-year-old R3 customer sees on the 360 page (the section loaded by
htmx) the bundle with the suitable product only, with the reasons."""

import datetime

import pytest
from playwright.sync_api import expect

from customers.master.models import Product, RetailProfile
from marketing.products.models import Bundle
from sysadmin.org.models import Staff
from tests.conftest import login
from tests.factories import make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "en": {"catalog": "Product catalog", "bundles": "Bundles", "section": "Eligible bundles and products"},
    "zh-hans": {"catalog": "产品目录", "bundles": "服务组合", "section": "可推荐的服务组合与产品"},
}


def use_language(page, live_server, language):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


@pytest.mark.parametrize("language", list(TEXTS))
def test_catalog_to_bundle_to_the_eligible_offers_on_the_360_page(page, live_server, org, language):
    texts = TEXTS[language]
    Staff.objects.filter(pk__in=[org.product_manager.pk, org.manager.pk]).update(language=language)
    suitable = Product.objects.create(
        bank=org.bank_a,
        code="WM-R2",
        name_local="稳健理财R2",
        category="asset",
        product_type="wealth",
        currency="CNY",
        risk_level="R2",
    )
    Product.objects.create(
        bank=org.bank_a,
        code="FD-R5",
        name_local="进取基金R5",
        category="asset",
        product_type="fund",
        currency="CNY",
        risk_level="R5",
    )
    customer = make_customer("C-BUNDLE-B", org.a_sh, org.manager, risk_level="R3")
    RetailProfile.objects.filter(customer=customer).update(birth_date=datetime.date.today() - datetime.timedelta(days=65 * 366))

    # The product manager: the catalog, then a bundle for retirees.
    use_language(page, live_server, language)
    login(page, org.product_manager.username)
    page.goto("/marketing/products/")
    expect(page.locator("h1")).to_contain_text(texts["catalog"])
    expect(page.locator("table")).to_contain_text("WM-R2")
    page.goto("/marketing/bundles/new/")
    page.fill("input[name=code]", "RETIREE")
    page.fill("input[name=name_local]", "退休客户组合")
    page.fill("input[name=scenario]", "retiree")
    page.select_option("select[name=products]", [str(suitable.pk), str(Product.objects.get(code="FD-R5").pk)])
    page.fill("textarea[name=rules]", "min_age 60")
    page.click("#bundle-save")
    expect(page.locator("#bundle-rules")).to_contain_text("60")
    expect(page.locator("#bundle-items")).to_contain_text("WM-R2")
    assert Bundle.objects.filter(bank_id=org.bank_a.pk, code="RETIREE").exists()

    # The customer's manager: the 360 page's section shows the bundle with the suitable product only.
    use_language(page, live_server, language)
    login(page, org.manager.username)
    page.goto(f"/customers/{customer.number}/")
    offers = page.locator("#eligible-offers .eligible-bundle")  # loaded by htmx
    expect(offers).to_contain_text("退休客户组合")
    expect(offers).to_contain_text("稳健理财R2")
    expect(offers).not_to_contain_text("进取基金R5")  # above the customer's R3: never proposed
    expect(page.locator("body")).to_contain_text(texts["section"])
    expect(page.locator("#eligible-offers")).to_contain_text(texts["bundles"])
