"""In a real browser and in both languages: a manager prepares an FX cash exchange for a customer from
the 360 page and sends it, the customer confirms it through the channel API (a signing client, as
mobile banking would), the manager sees it confirmed on the 360 page, a teller (the back office, who sees
no customer record) picks it up from the processing queue and completes its steps with an image, and
the manager sees it completed on the 360 page."""

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
# (language, the processing queue's title, the status once the steps are done)
BACK_OFFICE = {"en": ("Processing queue", "Completed"), "zh-hans": ("处理队列", "已完成")}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


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
    form.locator("select[name=branch]").select_option("A-SH")
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

    # The back office: a teller of the pick-up branch opens the queue, starts, attaches the ID copy and
    # completes both steps (going back once: the image stays with its step).
    queue_title, completed = BACK_OFFICE[language]
    org.teller.language = language
    org.teller.save(update_fields=["language"])
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, org.teller.username)
    page.goto("/workbench/service-requests/queue/")
    expect(page.locator("h1")).to_contain_text(queue_title)
    page.get_by_role("link", name=request.reference).click()
    expect(page.locator("#step-customer")).not_to_contain_text("王芳")  # masked for the teller
    page.locator("#step-start").click()
    page.locator("#step-attach-form input[name=file]").set_input_files({"name": "id.png", "mimeType": "image/png", "buffer": PNG})
    page.locator("#step-attach-form select[name=kind]").select_option("id_copy")
    page.locator("#step-attach").click()
    expect(page.locator("#request-steps a")).to_have_count(1)
    page.locator("#step-complete").click()
    page.locator("#step-return").click()
    expect(page.locator("#request-steps a")).to_have_count(1)
    page.locator("#step-complete").click()
    page.locator("#step-complete").click()
    request.refresh_from_db()
    assert request.status == "completed" and request.attachments.count() == 1

    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, org.manager.username)
    page.goto(f"/customers/{customer.number}/")
    row = page.locator(f"#customer-service-request-{request.pk}")
    expect(row.locator(".service-request-status")).to_have_text(completed)
