"""The cross-border round trip in a real browser, in both languages: a Shanghai manager sends a
request to London, a London cross-border officer sees the shared fields and the deadline in London
time, accepts and completes it with a fee, and the month's profit statement shows the fee shared
on both sides (the London officer sees both lines; the Shanghai supervisor the Shanghai line)."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from playwright.sync_api import expect

from crossborder.profitsharing import services as profit
from crossborder.profitsharing.models import ProfitStatement, RevenueEvent
from crossborder.requests.models import CrossBorderRequest, ServiceType
from tests.conftest import login
from tests.crossborder.profitsharing.test_statements import active_rule
from tests.factories import make_customer, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# language -> (a word of the shared record's card, a word of the statement page)
LANGUAGES = {"en": ("Shared with the receiving side", "Profit statement"), "zh-hans": ("共享", "分润对账单")}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_request_to_london_completed_and_shared_on_the_statement(page, live_server, org, language):
    shared_word, statement_word = LANGUAGES[language]
    officer = make_staff("a.xb.ldn", branch=org.a_ldn, roles=["crossborder_officer"], language=language)
    checker = make_staff("a.xb.ho", branch=org.a_ho, roles=["crossborder_officer"])
    active_rule(
        org,
        org.crossborder_officer,
        checker,
        [{"side": "originating", "percentage": Decimal("40")}, {"side": "servicing", "percentage": Decimal("60")}],
    )
    for person in (org.manager, org.supervisor):
        person.language = language
        person.save(update_fields=["language"])
    customer = make_customer("C-XB-77", org.a_sh, org.manager, name_local="李雷", name_latin="Li Lei")
    # The service types are seeded by a data migration, which a flushing test before may have emptied.
    importlib.import_module("crossborder.migrations.0002_xborder_service_types").seed(django_apps, None)
    service = ServiceType.objects.get(code="document_verification")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])

    # Shanghai: the manager sends the request, sharing the profile only.
    login(page, org.manager.username)
    page.goto(f"/crossborder/requests/new/?customer={customer.number}")
    page.select_option("#id_to_branch", str(org.a_ldn.pk))
    page.select_option("#id_service_type", str(service.pk))
    page.fill("#id_details", "document: passport copy")
    with page.expect_navigation():
        page.click("#xborder-submit")
    request = CrossBorderRequest.objects.get()
    assert request.to_branch == org.a_ldn and request.shared_parts == ["profile"]
    expect(page.locator("#xborder-due-requesting")).to_contain_text("Asia/Shanghai")

    # London: the officer sees the shared profile and the deadline in London time.
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, officer.username)
    page.goto(f"/crossborder/requests/{request.pk}/")
    expect(page.locator("#xborder-shared")).to_contain_text(shared_word)
    expect(page.locator("#xborder-shared")).to_contain_text("李雷")
    expect(page.locator("#xborder-due-receiving")).to_contain_text("Europe/London")
    due_london = timezone.localtime(request.due_at, org.a_ldn.tzinfo).strftime("%Y-%m-%d %H:%M")
    expect(page.locator("#xborder-due-receiving")).to_contain_text(due_london)
    with page.expect_navigation():
        page.click("#xborder-accept")
    with page.expect_navigation():
        page.click("#xborder-in_progress")
    page.fill("#id_fee", "100.00")
    page.fill("#id_fee_currency", "CNY")
    with page.expect_navigation():
        page.click("#xborder-complete")
    expect(page.locator("#xborder-status")).to_have_text("Completed" if language == "en" else "已完成")
    event = RevenueEvent.objects.get(source_reference=f"crossborder-request:{request.pk}")
    assert event.amount_minor == 10_000

    # The month's statement (the monthly job's computation), on both sides.
    profit.compute_statement(org.bank_a, event.booked_on)
    statement = ProfitStatement.objects.get()
    page.goto(f"/crossborder/profit-statements/{statement.pk}/")
    expect(page.locator("body")).to_contain_text(statement_word)
    table = page.locator("table")
    expect(table).to_contain_text("6000")
    expect(table).to_contain_text("4000")
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, org.supervisor.username)
    page.goto(f"/crossborder/profit-statements/{statement.pk}/")
    expect(page.locator("table")).to_contain_text("4000")
    expect(page.locator("table")).not_to_contain_text("6000")
