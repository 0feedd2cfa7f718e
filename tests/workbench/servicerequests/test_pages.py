"""The service request pages: the scoped list (filters, XLSX), the detail page with steps,
attachments and the log, both languages, a bounded number of queries."""

import io

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from sysadmin.roles import sync_roles
from tests.factories import make_customer
from workbench.servicerequests import services
from workbench.servicerequests.models import ServiceRequestType

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FX = {"currency": "USD", "amount": "1000", "branch": "A-SH", "pickup_date": "2026-12-10"}


def as_user(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture(autouse=True)
def roles_synced(org):
    # post_migrate's role sync waits for the last app of INSTALLED_APPS, which (drf_spectacular_sidecar)
    # has no models and gets no post_migrate: the roles hold nothing on a fresh test database. Idempotent.
    sync_roles()


@pytest.fixture
def requests(org):
    services.seed_built_in_types(org.bank_a)
    services.seed_built_in_types(org.bank_b)
    fx = ServiceRequestType.objects.get(bank=org.bank_a, code="fx_cash_exchange")
    mine = services.send(
        org.manager, services.create_request(org.manager, make_customer("C-SR-P1", org.a_sh, org.manager), fx, FX)
    )
    other_bank = services.create_request(
        org.b_manager,
        make_customer("C-SR-P2", org.b_hk, org.b_manager),
        ServiceRequestType.objects.get(bank=org.bank_b, code="fx_cash_exchange"),
        {**FX, "branch": "B-HK"},
    )
    return mine, other_bank


def _completed(org, request):
    request = services.confirm(request.customer, request.reference, request.content_hash, "online")
    request = services.start_processing(org.teller, request)
    services.add_attachment(org.teller, request, io.BytesIO(PNG), kind="id_copy")
    request = services.complete_step(org.teller, request)
    return services.complete_step(org.teller, request)


def test_the_list_shows_requests_in_scope_only_and_filters(client, org, requests):
    mine, other_bank = requests
    page = as_user(client, org.supervisor).get(reverse("workbench:service_requests")).content.decode()
    assert mine.reference in page and other_bank.reference not in page
    filtered = client.get(reverse("workbench:service_requests"), {"status": "completed"}).content.decode()
    assert mine.reference not in filtered


def test_the_list_exports_xlsx(client, org, requests):
    response = as_user(client, org.manager).get(reverse("workbench:service_requests") + "?export=xlsx")
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert len(rows) == 2 and requests[0].reference in rows[1]


def test_the_detail_page_shows_steps_attachments_and_an_intact_log(client, org, requests):
    request = _completed(org, requests[0])
    page = as_user(client, org.manager).get(reverse("workbench:service_request", args=[request.pk])).content.decode()
    assert 'id="log-intact"' in page and "text-bg-success" in page
    assert "Completed" in page and "Check identity" in page and "id_copy" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("workbench:service_request", args=[request.pk])).content.decode()
    assert "已完成" in page and "核对身份" in page and "日志" in page


def test_another_banks_request_is_a_404(client, org, requests):
    response = as_user(client, org.manager).get(reverse("workbench:service_request", args=[requests[1].pk]))
    assert response.status_code == 404


def test_the_pages_issue_a_bounded_number_of_queries(client, org, requests, django_assert_max_num_queries):
    request = _completed(org, requests[0])
    as_user(client, org.supervisor)
    client.get(reverse("workbench:service_requests"))
    with django_assert_max_num_queries(20):
        assert client.get(reverse("workbench:service_requests")).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("workbench:service_request", args=[request.pk])).status_code == 200
