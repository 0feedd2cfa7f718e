"""The cross-border pages, in English and Chinese: a Shanghai manager sends, a London officer
accepts, sees the shared fields and the deadline in London time, completes."""

import pytest
from django.test import Client
from django.urls import reverse

from crossborder.bus.localbus import LocalBus
from crossborder.requests.models import CrossBorderRequest, ServiceType
from sysadmin.parameters import services as parameter_store
from tests.factories import make_customer, make_staff


@pytest.fixture
def pages(org):
    org.ldn_officer = make_staff("a.xb.ldn", branch=org.a_ldn, roles=["crossborder_officer"])
    org.customer = make_customer("C-XB-9", org.a_sh, manager=org.manager, name_local="李娜")
    return org


def client_for(user, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_request_round_trip(pages, language):
    manager = client_for(pages.manager, language)
    form = manager.get(reverse("crossborder:request_create"))
    assert form.status_code == 200
    assert ("New cross-border request" if language == "en" else "新建跨境服务请求") in form.text
    service = ServiceType.objects.get(code="document_verification")
    answer = manager.post(
        reverse("crossborder:request_create"),
        {
            "customer": "C-XB-9",
            "to_branch": pages.a_ldn.pk,
            "service_type": service.pk,
            "details": "document: passport",
            "shared_parts": ["profile"],
        },
    )
    assert answer.status_code == 302, answer.text
    request = CrossBorderRequest.objects.get()
    officer = client_for(pages.ldn_officer, language)
    page = officer.get(reverse("crossborder:request", args=[request.pk]))
    assert page.status_code == 200
    assert "李娜" in page.text  # the shared profile
    assert "Europe/London" in page.text
    due_london = request.due_at.astimezone(pages.a_ldn.tzinfo).strftime("%Y-%m-%d %H:%M")
    assert due_london in page.text
    assert officer.post(reverse("crossborder:request_action", args=[request.pk, "accept"])).status_code == 302
    assert officer.post(reverse("crossborder:request_action", args=[request.pk, "in_progress"])).status_code == 302
    done = officer.post(
        reverse("crossborder:request_action", args=[request.pk, "complete"]), {"fee": "12.50", "fee_currency": "GBP"}
    )
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.status == "completed" and request.fee_amount_minor == 1250
    # The list shows it to both sides; another branch's manager gets 404 on the page.
    assert manager.get(reverse("crossborder:requests")).status_code == 200
    assert client_for(pages.manager_bj, language).get(reverse("crossborder:request", args=[request.pk])).status_code == 404
    assert client_for(pages.b_manager, language).get(reverse("crossborder:request", args=[request.pk])).status_code == 404


def test_a_field_not_chosen_never_appears(pages):
    manager = client_for(pages.manager, "en")
    service = ServiceType.objects.get(code="remittance_support")
    manager.post(
        reverse("crossborder:request_create"),
        {"customer": "C-XB-9", "to_branch": pages.a_ldn.pk, "service_type": service.pk, "details": "reference: R1"},
    )
    request = CrossBorderRequest.objects.get()
    page = client_for(pages.ldn_officer, "en").get(reverse("crossborder:request", args=[request.pk]))
    assert page.status_code == 200
    assert "李娜" not in page.text and "C-XB-9" not in page.text


def test_bad_input_names_the_field(pages):
    manager = client_for(pages.manager, "en")
    service = ServiceType.objects.get(code="document_verification")
    answer = manager.post(
        reverse("crossborder:request_create"),
        {"customer": "C-XB-9", "to_branch": pages.a_ldn.pk, "service_type": service.pk, "details": "no colon here"},
    )
    assert answer.status_code == 200 and "Line 1" in answer.text
    assert not CrossBorderRequest.objects.exists()


def test_agreements_page(pages):
    admin = client_for(pages.admin, "en")
    assert admin.get(reverse("crossborder:agreements")).status_code == 200
    assert admin.post(reverse("crossborder:agreement_action", args=["accept"]), {"partner": pages.bank_b.pk}).status_code == 302
    page = admin.get(reverse("crossborder:agreements"))
    assert "Awaiting consent" in page.text


def test_request_page_shows_the_bus_answer_and_stores_nothing(pages):
    bus = LocalBus().start()
    try:
        parameter_store.set_value("crossborder.bus_endpoint", bus.url, bank=pages.bank_a, value_type="string")
        service = ServiceType.objects.get(code="remittance_support")
        manager = client_for(pages.manager, "en")
        manager.post(
            reverse("crossborder:request_create"),
            {"customer": "C-XB-9", "to_branch": pages.a_ldn.pk, "service_type": service.pk, "details": "reference: R1"},
        )
        request = CrossBorderRequest.objects.get()
        page = client_for(pages.ldn_officer, "en").get(reverse("crossborder:request", args=[request.pk]))
        assert "GB29****7654" in page.text and "verified" in page.text
        request.refresh_from_db()
        assert "GB29" not in str(request.form_data)
    finally:
        bus.stop()
