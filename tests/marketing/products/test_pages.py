"""Product catalog pages: a product manager edits a draft (bad input named on the field), submits
it, another approves in the inbox, the detail shows the published version and the history with its
changes; bundles with items and rules; scope (another bank's product is 404), bounded queries,
XLSX, Chinese, the navigation entries."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from marketing.products import services
from marketing.products.models import Bundle, BundleRule, ProductVersion
from ocrm import navigation
from ocrm.approvals import services as approvals
from tests.factories import PASSWORD, make_product, make_staff
from tests.support.mfa import second_factor_queries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def checker(org):
    return make_staff("a.pm2", branch=org.a_ho, roles=["product_manager"])


def test_a_draft_from_the_page_through_the_inbox(client, org, checker):
    product = make_product(org.bank_a, code="WM-1", product_type="wealth")
    _login(client, org.product_manager)
    url = reverse("marketing:catalog_product", args=[product.pk])
    bad = client.post(url, {"rate": "-1", "risk_level": "R3", "sale_start": "2026-12-31", "sale_end": "2026-12-01"})
    assert bad.status_code == 200
    page = bad.content.decode()
    assert "Must not be negative." in page and "The sale period ends before it starts." in page
    assert not ProductVersion.objects.filter(product=product).exists()

    answer = client.post(url, {"rate": "3.25", "risk_level": "R3", "term_months": "12", "channels": "branch, mobile"})
    assert answer.status_code == 302
    draft = ProductVersion.objects.get(product=product)
    assert draft.channels == ["branch", "mobile"] and draft.rate == Decimal("3.2500")
    # Saving again changes the same draft.
    client.post(url, {"rate": "3.30", "risk_level": "R3", "term_months": "12"})
    assert ProductVersion.objects.filter(product=product).count() == 1
    client.post(reverse("marketing:catalog_version_submit", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == ProductVersion.Status.PENDING
    request = approvals.pending_for_checker(checker).get()
    approvals.approve(request.pk, checker)
    product.refresh_from_db()
    assert product.risk_level == "R3"

    client.post(url, {"rate": "3.50", "risk_level": "R3", "term_months": "12"})
    page = client.get(url).content.decode()
    assert 'id="published-version"' in page and "3.3000" in page
    assert "3.5000" in page  # the new draft's change against the published version
    assert "Version history" in page


def test_scope_another_banks_product_manager_gets_404(client, org):
    product = make_product(org.bank_a, code="WM-A", product_type="wealth")
    bundle = Bundle.objects.create(bank_id=org.bank_a.pk, code="B1", name_local="甲组合")
    other = make_staff("b.pm", branch=org.b_ho, roles=["product_manager"])
    _login(client, other)
    assert client.get(reverse("marketing:catalog_product", args=[product.pk])).status_code == 404
    assert client.get(reverse("marketing:catalog_bundle", args=[bundle.pk])).status_code == 404
    assert client.post(reverse("marketing:catalog_product", args=[product.pk]), {"rate": "1"}).status_code == 404
    listing = client.get(reverse("marketing:catalog_products")).content.decode()
    assert "WM-A" not in listing
    # Matched as a cell's whole text: a bare "B1" can occur inside the page's CSRF token.
    assert ">B1<" not in client.get(reverse("marketing:catalog_bundles")).content.decode()
    client.logout()
    _login(client, org.product_manager)  # the same check, seen by the bundle's own bank
    assert ">B1<" in client.get(reverse("marketing:catalog_bundles")).content.decode()
    client.logout()
    _login(client, org.manager)  # a relationship manager has no catalog pages
    assert client.get(reverse("marketing:catalog_products")).status_code == 403


def test_lists_filter_export_and_bounded_queries(client, org, django_assert_max_num_queries):
    for i in range(3):
        make_product(org.bank_a, code=f"DD-{i}")
    make_product(org.bank_a, code="BOND-1", product_type="bond")
    _login(client, org.product_manager)
    url = reverse("marketing:catalog_products")
    with django_assert_max_num_queries(12 + second_factor_queries(org.product_manager)):
        page = client.get(url, {"product_type": "bond", "sort": "-code"}).content.decode()
    assert "BOND-1" in page and "DD-0" not in page
    for i in range(3, 20):
        make_product(org.bank_a, code=f"DD-{i}")
    with django_assert_max_num_queries(12 + second_factor_queries(org.product_manager)):
        client.get(url)
    export = client.get(url, {"export": "xlsx", "q": "DD-1"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "DD-1" in codes and "BOND-1" not in codes
    for i in range(5):
        Bundle.objects.create(bank_id=org.bank_a.pk, code=f"B{i}", name_local=f"组合{i}")
    with django_assert_max_num_queries(12 + second_factor_queries(org.product_manager)):
        page = client.get(reverse("marketing:catalog_bundles")).content.decode()
    assert "组合4" in page


def test_bundle_with_items_and_rules(client, org):
    product = make_product(org.bank_a, code="INS-1", product_type="insurance")
    foreign = make_product(org.bank_b, code="INS-B", product_type="insurance")
    _login(client, org.product_manager)
    data = {
        "code": "RETIREE",
        "name_local": "退休客户组合",
        "scenario": "retiree",
        "is_active": "on",
        "products": [product.pk],
        "services": "养老金代发\n上门服务预约",
        "rules": "min_age 60\nvalid_id\nmax_age sixty",
    }
    bad = client.post(reverse("marketing:catalog_bundle_create"), data)
    assert bad.status_code == 200 and "Line 3: an age must be a whole number of years." in bad.content.decode()
    assert not Bundle.objects.exists()
    bad = client.post(reverse("marketing:catalog_bundle_create"), {**data, "products": [foreign.pk], "rules": ""})
    assert bad.status_code == 200 and not Bundle.objects.exists()  # another bank's product is not a choice
    data["rules"] = "min_age 60\nvalid_id"
    answer = client.post(reverse("marketing:catalog_bundle_create"), data)
    assert answer.status_code == 302
    bundle = Bundle.objects.get(code="RETIREE")
    assert bundle.bank_id == org.bank_a.pk
    assert sorted(bundle.rules.values_list("kind", flat=True)) == [BundleRule.Kind.MIN_AGE, BundleRule.Kind.VALID_ID]
    assert bundle.items.count() == 3
    page = client.get(reverse("marketing:catalog_bundle", args=[bundle.pk])).content.decode()
    assert "Age at least 60" in page and "养老金代发" in page and "INS-1" in page
    answer = client.post(reverse("marketing:catalog_bundle", args=[bundle.pk]), {**data, "services": "", "rules": ""})
    assert answer.status_code == 302 and bundle.items.count() == 1 and not bundle.rules.exists()


def test_pages_in_chinese_and_navigation(client, org):
    product = make_product(org.bank_a, code="WM-1", product_type="wealth")
    services.write_draft(org.product_manager, product.pk, {"rate": Decimal("1.5")})
    _login(client, org.product_manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("marketing:catalog_product", args=[product.pk])).content.decode()
    assert "版本历史" in page and "保存草稿" in page and "提交审批" in page
    assert "产品目录" in client.get(reverse("marketing:catalog_products")).content.decode()
    names = [item["entry"].url_name for item in navigation.entries_for(org.product_manager)]
    assert "marketing:catalog_products" in names and "marketing:catalog_bundles" in names
    assert "marketing:catalog_products" not in [item["entry"].url_name for item in navigation.entries_for(org.manager)]


def test_bad_list_parameters_never_fail(client, org):
    make_product(org.bank_a, code="DD-1")
    _login(client, org.product_manager)
    bad = {"q": "\x00", "product_type": "nope", "risk_level": "R9", "is_active": "maybe", "sort": "-nonexistent"}
    for name in ("marketing:catalog_products", "marketing:catalog_bundles"):
        for params in (bad, {"page": "abc", "per_page": "-1"}, {"export": "xlsx", **bad}):
            assert client.get(reverse(name), params).status_code in (200, 302)
