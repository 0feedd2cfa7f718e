"""Sharing and the approvals inbox in a real browser: a manager shares a customer from its 360
page (the colleague picked by typing, with suggestions), the supervisor approves it in the
inbox (checkbox + bulk approve), the colleague sees it under "shared with me" and opens the
360 page; a read-only share shows no way to edit."""

import pytest
from playwright.sync_api import expect

from customers.master import services
from customers.ownership.sharing.models import CustomerShare
from sysadmin.parameters import services as parameters
from tests.conftest import login
from tests.factories import make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def use_english(page, live_server):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def test_share_approve_and_open_as_the_colleague(page, live_server, org):
    parameters.set_value("sharing.requires_approval", "true", bank=org.bank_a, actor=org.admin)
    make_customer("C8001", org.a_sh, org.manager, name_local="周星", name_latin="Zhou Xing")
    use_english(page, live_server)

    # The manager shares the customer from its 360 page.
    login(page, org.manager.username)
    page.goto("/customers/C8001/")
    page.click("#share-customer")
    page.wait_for_selector("#share-form")
    page.wait_for_load_state("load")  # the suggestions script (end of the page) listens before we type
    page.fill("#id_shared_with", "a.mgr")
    expect(page.locator("#colleague-suggestions option[value='a.mgr.bj']")).to_have_count(1)
    page.fill("#id_shared_with", org.manager_bj.username)
    page.click("#share-submit")
    expect(page.locator(".alert[role=alert]")).to_contain_text("waits for a supervisor's approval")
    share = CustomerShare.objects.get()
    assert share.status == CustomerShare.Status.PENDING and not share.can_edit

    # The supervisor sees it in the inbox (badge in the bar) and approves it with the checkbox.
    page.context.clear_cookies()
    use_english(page, live_server)
    login(page, org.supervisor.username)
    page.goto("/workbench/inbox/")
    row = page.locator(f"#inbox-row-{share.change_request_id}")
    expect(row).to_contain_text("Share a customer")
    expect(row.get_by_role("link", name="C8001 周星")).to_have_count(1)
    row.locator("input.inbox-select").check()
    page.click("#bulk-approve")
    expect(page.locator(".alert-success")).to_contain_text(f"#{share.change_request_id}")
    share.refresh_from_db()
    assert share.status == CustomerShare.Status.ACTIVE

    # The colleague finds it under "shared with me" and opens the 360 page, read-only.
    page.context.clear_cookies()
    use_english(page, live_server)
    login(page, org.manager_bj.username)
    page.goto("/customers/sharing/with-me/")
    page.get_by_role("link", name="C8001 周星").click()
    expect(page.locator("#customer-number")).to_have_text("C8001")
    expect(page.locator("#section-shares")).to_contain_text(org.manager_bj.username)
    response = page.goto("/customers/C8001/edit/")
    assert response.status == 403


def test_reject_with_a_reason_in_the_modal(page, live_server, org):
    customer = make_customer("C8002", org.a_sh, org.manager, name_latin="Wu Jiu")
    request = services.update_customer(customer, {"name_latin": "Wu J."}, org.manager).change_request
    use_english(page, live_server)
    login(page, org.supervisor.username)
    page.goto("/workbench/inbox/")
    page.click(f"#reject-{request.pk}")
    expect(page.locator("#reject-modal")).to_be_visible()
    expect(page.locator("#reject-request-id")).to_have_text(f"#{request.pk}")
    page.fill("#reject-reason", "Name not on the ID card")
    page.click("#reject-submit")
    expect(page.locator(".alert-success")).to_contain_text(f"#{request.pk} rejected.")
    request.refresh_from_db()
    assert request.status == "rejected" and request.decision_reason == "Name not on the ID card"
