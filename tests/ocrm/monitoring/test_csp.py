"""Content-Security-Policy: scripts come from our static files only (no inline script, no inline
event handler), and the pages that had inline scripts still work in a real browser with the
policy enforced: the customer list, the 360 page (Chart.js), the share form, the approvals
inbox, the language switch and Django admin. Any CSP violation reported in the console fails."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.master import services
from customers.master.models import Holding, HoldingBalance
from tests.conftest import login
from tests.factories import make_customer, make_product

BASE_DIR = Path(__file__).resolve().parents[3]


def directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.django_db
def test_the_policy_allows_scripts_from_our_own_origin_only(client, org):
    client.force_login(org.manager)
    for url in ["/", "/customers/", "/accounts/login/"]:
        policy = directives(client.get(url))
        assert policy["script-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert policy["default-src"] == ["'self'"] and policy["base-uri"] == ["'self'"]
    # Error pages carry it too (a reflected payload in a 404 must not run either).
    assert directives(client.get("/no-such-page/"))["script-src"] == ["'self'"]


def test_no_template_has_an_inline_script_or_event_handler():
    """What the policy would block, caught before a browser sees it: <script> without src (other
    than JSON data blocks), on*= attributes, javascript: links."""
    offenders = []
    for path in BASE_DIR.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attributes = match.group(1)
            if "src=" not in attributes and "application/json" not in attributes:
                offenders.append(f"{path.relative_to(BASE_DIR)}: inline <script>")
        if re.search(r"\son[a-z]+\s*=", text) or "javascript:" in text or "hx-on" in text:
            offenders.append(f"{path.relative_to(BASE_DIR)}: inline event handler")
    assert not offenders, offenders


# --- in the browser ------------------------------------------------------------------------------


@pytest.fixture
def csp_violations(page):
    """Chromium reports every blocked script, style or handler on the console."""
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return violations


def english(page, live_server):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def with_balances(customer, org):
    holding = Holding.objects.create(
        bank_id=customer.bank_id, customer=customer, product=make_product(org.bank_a), account_number="6222-001",
        currency="CNY", balance=Decimal("1000.00"),
    )  # fmt: skip
    today = timezone.localdate()
    HoldingBalance.objects.bulk_create(
        HoldingBalance(
            bank_id=customer.bank_id,
            customer_id=customer.pk,
            holding=holding,
            business_date=today - datetime.timedelta(days=day),
            balance=Decimal(1000 + day),
            balance_base=Decimal(1000 + day),
        )  # fmt: skip
        for day in range(0, 120, 30)
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_main_pages_work_under_the_policy(page, live_server, org, csp_violations):
    customer = make_customer("C9001", org.a_sh, org.manager, name_local="周星", name_latin="Zhou Xing")
    make_customer("C9002", org.a_sh, org.manager)
    with_balances(customer, org)
    english(page, live_server)
    login(page, org.manager.username)

    # The customer list: "select all" ticks every row (customer-list.js).
    page.goto("/customers/")
    page.locator("#select-all").check()
    boxes = page.locator('input[name="selection"][form="bulk-form"]')
    expect(boxes.first).to_be_checked()
    assert boxes.count() == 2 and all(boxes.nth(i).is_checked() for i in range(2))

    # The 360 page: Chart.js draws the assets chart (customer-assets-chart.js).
    page.goto("/customers/C9001/")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('assets-chart'))")

    # The share form: typing suggests colleagues from the server (share-form.js).
    page.click("#share-customer")
    page.wait_for_selector("#share-form")
    page.wait_for_load_state("load")  # the suggestions script (end of the page) listens before we type
    page.fill("#id_shared_with", "a.mgr")
    expect(page.locator("#colleague-suggestions option[value='a.mgr.bj']")).to_have_count(1)

    # The language switch submits on change (ocrm.js), without an inline onchange.
    page.select_option("#language-switch select", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.select_option("#language-switch select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # An injected inline script (what a stored XSS payload would be) does not run.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.body.appendChild(s); }"
    )
    assert page.evaluate("() => window.injected") is None
    assert any("script" in text.lower() for text in csp_violations), "the blocked script was not reported"
    csp_violations.clear()

    # The approvals inbox: the reject dialog names the request of the button (approvals-inbox.js).
    request = services.update_customer(customer, {"name_latin": "Zhou Xingchi"}, org.manager).change_request
    english(page, live_server)
    login(page, org.supervisor.username)
    page.goto("/workbench/inbox/")
    page.click(f"#reject-{request.pk}")
    expect(page.locator("#reject-request-id")).to_have_text(f"#{request.pk}")
    page.locator("#reject-modal").get_by_role("button", name="Cancel").click()
    expect(page.locator("#reject-modal")).to_be_hidden()
    page.locator("#select-all").check()
    expect(page.locator(".inbox-select").first).to_be_checked()

    # Django admin: its index, a list and a change form.
    english(page, live_server)
    login(page, org.admin.username)
    for url in ["/admin/", "/admin/sysadmin/branch/", f"/admin/sysadmin/branch/{org.a_sh.pk}/change/"]:
        response = page.goto(url)
        assert response.status == 200, url
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
    page.goto("/")

    assert csp_violations == []
