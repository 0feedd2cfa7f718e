"""The back office's pages: the queue per role and the step page. Who sees a request there: the
holders of the current step's role at a processing branch in their subtree (a teller sees no
customer record); everyone else gets 404. Progress, images, going back and forth, a colleague
resuming, masking, both languages, bounded queries."""

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ocrm.audit.models import AuditLog
from sysadmin.roles import sync_roles
from tests.factories import make_customer
from workbench.servicerequests import services
from workbench.servicerequests.models import ServiceRequest, ServiceRequestType

pytestmark = pytest.mark.django_db
S = ServiceRequest.Status
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FX = {"currency": "USD", "amount": "1000", "branch": "A-SH", "pickup_date": "2026-12-10"}


def as_user(client, user, language="en"):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture(autouse=True)
def roles_synced(org):
    sync_roles()


@pytest.fixture
def confirmed(org):
    services.seed_built_in_types(org.bank_a)
    fx = ServiceRequestType.objects.get(bank=org.bank_a, code="fx_cash_exchange")
    customer = make_customer("C-SR-BO1", org.a_sh, org.manager, name_local="王小明")
    request = services.send(org.manager, services.create_request(org.manager, customer, fx, FX))
    return services.confirm(customer, request.reference, request.content_hash, "online")


def step_url(request, action=""):
    return reverse(f"workbench:service_request_step{'_' + action if action else ''}", args=[request.pk])


def png(name="id.png"):
    return SimpleUploadedFile(name, PNG, content_type="text/plain")  # the name and header lie: the bytes decide


def test_the_tellers_queue_lists_the_request_and_the_step_page_masks_the_customer(client, org, confirmed):
    queue = as_user(client, org.teller).get(reverse("workbench:service_request_queue", args=["teller"]))
    assert queue.status_code == 200 and confirmed.reference in queue.content.decode()
    assert "王小明" not in queue.content.decode()  # masked: tellers do not see personal data in clear
    page = client.get(step_url(confirmed)).content.decode()
    assert "1000" in page and "USD" in page and 'id="step-start"' in page
    assert "王小明" not in page and 'id="step-customer"' in page
    # The customer's record stays out of reach: the 360 page is not the teller's.
    assert client.get(reverse("customers:detail", args=[confirmed.customer.number])).status_code in (403, 404)
    # A supervisor holding customers.unmask_pii sees the name in clear on the 360 side, not here (no teller role).
    assert as_user(client, org.supervisor).get(step_url(confirmed)).status_code == 404


def test_another_branchs_teller_a_manager_and_another_bank_get_404(client, org, confirmed, make_staff):
    outsiders = [
        make_staff("a.teller.bj2", branch=org.a_bj, roles=["teller"]),  # another branch's teller
        org.manager,  # the customer's own manager, without the role
        make_staff("b.teller.hk", branch=org.b_hk, roles=["teller"]),  # another bank
    ]
    for user in outsiders:
        as_user(client, user)
        assert client.get(step_url(confirmed)).status_code == 404, user
        assert client.post(step_url(confirmed, "start")).status_code == 404, user
        assert confirmed.reference not in client.get(reverse("workbench:service_request_queues"), follow=True).content.decode()
    confirmed.refresh_from_db()
    assert confirmed.status == S.CONFIRMED
    # A teller higher up the tree (the region) sees the branch's request; a role the user lacks is a 404 queue.
    regional = make_staff("a.teller.cn3", branch=org.a_cn, roles=["teller"])
    assert as_user(client, regional).get(step_url(confirmed)).status_code == 200
    assert client.get(reverse("workbench:service_request_queue", args=["branch_supervisor"])).status_code == 404
    assert as_user(client, org.manager).get(reverse("workbench:service_request_queue", args=["teller"])).status_code == 404


def test_steps_with_progress_images_back_and_forth_and_a_colleague_resuming(client, org, confirmed, make_staff):
    as_user(client, org.teller)
    assert client.post(step_url(confirmed, "start")).status_code == 302
    client.post(step_url(confirmed, "save"), {"note": "ID seen, copy to follow"})
    client.post(step_url(confirmed, "attach"), {"kind": "id_copy", "file": png()})
    client.post(step_url(confirmed, "complete"))
    confirmed.refresh_from_db()
    assert confirmed.status == S.PROCESSING and confirmed.step_index == 1
    receipt = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 receipt")
    client.post(step_url(confirmed, "attach"), {"kind": "", "file": receipt})
    # Back to the first step and forward again: both files stay with their step, the notes too.
    client.post(step_url(confirmed, "return"))
    confirmed.refresh_from_db()
    assert confirmed.step_index == 0
    assert sorted(confirmed.attachments.values_list("step_index", "content_type")) == [(0, "image/png"), (1, "application/pdf")]
    # A colleague with the same role picks it up where it was left.
    colleague = make_staff("a.teller.sh3", branch=org.a_sh, roles=["teller"])
    page = as_user(client, colleague).get(step_url(confirmed)).content.decode()
    assert "ID seen, copy to follow" in page and page.count("service-requests/attachments/") == 2
    client.post(step_url(confirmed, "save"), {"note": "ID seen, copy attached"})
    client.post(step_url(confirmed, "complete"))
    response = client.post(step_url(confirmed, "complete"))
    confirmed.refresh_from_db()
    assert confirmed.status == S.COMPLETED
    assert response.url == reverse("workbench:service_request_queues")  # nothing left to do here
    assert confirmed.step_progress["0"] == {"note": "ID seen, copy attached"}
    assert sorted(confirmed.attachments.values_list("step_index", flat=True)) == [0, 1]
    assert services.verify_log(confirmed) == (True, None)
    # The manager sees "completed" and the files' sizes on the request's page.
    page = as_user(client, org.manager).get(reverse("workbench:service_request", args=[confirmed.pk])).content.decode()
    assert "Completed" in page and "Status: Completed" in page and "File attached" in page  # the log, readable
    page = as_user(client, org.manager, "zh-hans").get(reverse("workbench:service_request", args=[confirmed.pk])).content.decode()
    assert "状态:已完成" in page and "已上传文件" in page


def test_a_bad_file_and_a_missing_required_attachment_are_named(client, org, confirmed):
    as_user(client, org.teller)
    client.post(step_url(confirmed, "start"))
    response = client.post(
        step_url(confirmed, "attach"), {"kind": "id_copy", "file": SimpleUploadedFile("x.png", b"MZ...")}, follow=True
    )
    assert "Only PNG, JPEG, GIF images and PDF files are accepted." in response.content.decode()
    client.post(step_url(confirmed, "complete"))
    response = client.post(step_url(confirmed, "complete"), follow=True)
    assert "Attach the required documents" in response.content.decode() and "id_copy" in response.content.decode()
    confirmed.refresh_from_db()
    assert confirmed.status == S.PROCESSING and confirmed.attachments.count() == 0
    response = client.post(step_url(confirmed, "reject"), {"reason": ""}, follow=True)
    assert "reason" in response.content.decode()
    client.post(step_url(confirmed, "reject"), {"reason": "No cash in stock"})
    confirmed.refresh_from_db()
    assert confirmed.status == S.REJECTED


def test_the_attachment_file_is_served_to_the_performers_and_the_customers_managers_only(client, org, confirmed, make_staff):
    services.start_processing(org.teller, confirmed)
    attachment = services.add_attachment(org.teller, confirmed, io.BytesIO(PNG), kind="id_copy")
    url = reverse("workbench:service_request_attachment", args=[attachment.pk])
    response = as_user(client, org.teller).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert as_user(client, org.manager).get(url).status_code == 200
    assert as_user(client, make_staff("a.teller.bj4", branch=org.a_bj, roles=["teller"])).get(url).status_code == 404
    assert as_user(client, org.manager_bj).get(url).status_code == 404
    # Each opening is audited (who, which file), the refused ones are not.
    views = AuditLog.objects.filter(action=AuditLog.Action.VIEW_PII, detail__event="service_request_attachment_view")
    assert sorted(views.values_list("actor_id", flat=True)) == sorted([org.teller.pk, org.manager.pk])
    assert all(entry["attachment"] == attachment.pk for entry in views.values_list("detail", flat=True))


def test_the_pages_in_chinese(client, org, confirmed):
    services.start_processing(org.teller, confirmed)
    page = as_user(client, org.teller, "zh-hans").get(step_url(confirmed)).content.decode()
    assert "保存进度" in page and "完成此步骤" in page and "核对身份" in page
    queue = client.get(reverse("workbench:service_request_queue", args=["teller"])).content.decode()
    assert "处理队列" in queue


def test_the_queue_and_step_page_issue_a_bounded_number_of_queries(client, org, confirmed, django_assert_max_num_queries):
    fx = confirmed.request_type
    for n in range(8):
        customer = make_customer(f"C-SR-BOQ{n}", org.a_sh, org.manager)
        request = services.send(org.manager, services.create_request(org.manager, customer, fx, FX))
        request = services.confirm(customer, request.reference, request.content_hash, "online")
        services.start_processing(org.teller, request)
    services.add_attachment(
        org.teller, ServiceRequest.objects.filter(status=S.PROCESSING).first(), io.BytesIO(PNG), kind="id_copy"
    )
    as_user(client, org.teller)
    client.get(reverse("workbench:service_request_queue", args=["teller"]))
    with django_assert_max_num_queries(20):
        page = client.get(reverse("workbench:service_request_queue", args=["teller"]))
    assert page.content.decode().count("/step/") >= 9
    request = ServiceRequest.objects.filter(status=S.PROCESSING).first()
    with django_assert_max_num_queries(20):
        assert client.get(step_url(request)).status_code == 200
    response = client.get(reverse("workbench:service_request_queue", args=["teller"]) + "?export=xlsx")
    assert response.status_code == 200


def test_overdue_steps_stand_on_the_tellers_today_list(org, confirmed):
    from workbench.servicerequests import reminders  # noqa: PLC0415

    request = services.start_processing(org.teller, confirmed)
    assert reminders.today_items(org.teller, now=request.step_due_at) and not reminders.today_items(org.manager)
