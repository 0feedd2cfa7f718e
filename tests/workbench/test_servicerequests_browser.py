"""In a real browser and in both languages: a manager prepares an FX cash exchange for a customer from
the 360 page and sends it, the customer confirms it through the channel API (a signing client, as
mobile banking would), and the manager sees it confirmed on the 360 page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sysadmin.roles import sync_roles
from tests.conftest import login
from tests.factories import make_customer
from tests.workbench.channelapi.client import SigningClient
from workbench.channelapi import credentials
from workbench.channelapi.models import ChannelClient
from workbench.servicerequests import services
from workbench.servicerequests.models import ServiceRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (language, the create button, the send button, the status the manager sees)
LANGUAGES = {
    "en": ("New service request", "Send for confirmation", "Sent to channel", "Confirmed"),
    "zh-hans": ("新建服务申请", "发送客户确认", "已发送至渠道", "已确认"),
}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_manager_prepares_the_customer_confirms_the_manager_sees_it(page, live_server, org, language):
    create, send, sent, confirmed = LANGUAGES[language]
    sync_roles()
    services.seed_built_in_types(org.bank_a)
    org.manager.language = language
    org.manager.save(update_fields=["language"])
    customer = make_customer("C-SR-B1", org.a_sh, org.manager, name_local="王芳")
    pickup = (timezone.now() + datetime.timedelta(days=5)).date().isoformat()

    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, org.manager.username)
    page.goto(f"/customers/{customer.number}/")
    section = page.locator("#customer-service-requests-section")
    section.get_by_role("link", name=create).click()
    page.locator("#service-request-type-form select[name=type]").select_option(
        label="Foreign-currency cash exchange order" if language == "en" else "外币现钞兑换预约"
    )
    page.locator("#service-request-choose-type").click()
    form = page.locator("#service-request-form")
    form.locator("select[name=currency]").select_option("USD")
    form.locator("input[name=amount]").fill("2000")
    form.locator("input[name=branch]").fill("A-SH")
    form.locator("input[name=pickup_date]").fill(pickup)
    form.get_by_role("button", name=send).click()
    expect(page.locator("#request-status")).to_have_text(sent)
    request = ServiceRequest.objects.get(customer=customer)
    assert request.status == "sent" and request.content["amount"] == "2000"

    # Mobile banking, signed in as the customer, shows the pending request and confirms its hash.
    client, secret = credentials.register(org.bank_a, "Mobile", ChannelClient.Kind.ONLINE)
    api = SigningClient(live_server.url, client.key_id, secret, customer_ref=customer.number)
    base = f"/api/v1/customers/{customer.number}/service-requests"
    status, pending, _ = api.get(f"{base}/pending")
    assert status == 200 and [row["reference"] for row in pending] == [request.reference]
    status, body, _ = api.post(
        f"{base}/{request.reference}/confirm", {"content_hash": pending[0]["content_hash"]}, idempotency_key="confirm-1"
    )
    assert status == 200 and body["status"] == "confirmed"

    page.goto(f"/customers/{customer.number}/")
    row = page.locator(f"#customer-service-request-{request.pk}")
    expect(row).to_contain_text(request.reference)
    expect(row.locator(".service-request-status")).to_have_text(confirmed)
