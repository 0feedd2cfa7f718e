"""Pages of the rate board: permissions and scope (another bank's rates never shown, its postings
404), the board and its htmx part (source and as-of time always, in the user's zone; the stale
warning), the converter fragment, the posting form (a change request, nothing posted), the
history chart's data, and bounded query counts."""

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from customers.fx import services
from customers.master.models import FxRate
from ocrm.approvals.models import ChangeRequest
from ocrm.scoping import SCOPE_BANK
from sysadmin.org.models import Staff
from sysadmin.parameters import services as parameters
from tests.support.views import ModelPagesTests, Page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

AT = datetime.datetime(2026, 12, 6, 1, 30, tzinfo=datetime.UTC)  # 09:30 in Shanghai, 01:30 in London


class TestPostingPages(ModelPagesTests):
    model = FxRate
    permission = "customers.view_fxrate"
    scope = SCOPE_BANK
    outside_branch = None  # the whole bank sees its rates
    pages = {
        "list": Page("customers:fx_postings", max_queries=12),
        "detail": Page("customers:fx_detail", max_queries=10),
    }

    def make(self, branch, n):
        return FxRate.objects.create(
            bank=branch.bank, currency="USD", rate=Decimal("7.1"), effective_at=AT - datetime.timedelta(hours=n)
        )

    def shown(self, obj):
        return obj.currency


def rate(bank, currency="USD", middle="7.1000", minutes_ago=30, **extra):
    values = {"rate": Decimal(middle), **{k: Decimal(v) for k, v in extra.items()}}
    return FxRate.objects.create(
        bank=bank, currency=currency, effective_at=timezone.now() - datetime.timedelta(minutes=minutes_ago), **values
    )


def client_of(client, user, zone=None):
    if zone:
        Staff.objects.filter(pk=user.pk).update(time_zone=zone)
        user.refresh_from_db()
    client.force_login(user)
    return client


def test_every_staff_member_of_the_bank_sees_the_board_and_only_their_banks_rates(client, org):
    usd = rate(org.bank_a, buy_transfer="7.0890", sell_transfer="7.1110", buy_cash="7.0430", sell_cash="7.1110")
    rate(org.bank_b, currency="EUR", middle="8.4321")
    page = client_of(client, org.teller).get(reverse("customers:fx_board"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-currency="USD"' in html and "7.0430" in html
    assert "EUR" not in html and "8.4321" not in html
    assert f'href="{reverse("customers:fx_detail", args=[usd.pk])}"' in html
    assert 'hx-trigger="every 60s"' in html  # fx.board_refresh_seconds
    assert "Post a rate" not in html  # a teller may not post


def test_the_board_shows_source_and_as_of_time_in_the_users_zone(client, org):
    FxRate.objects.create(
        bank=org.bank_a, currency="USD", rate=Decimal("7.1"), effective_at=AT, source="manual", posted_by=org.product_manager
    )
    html = (
        client_of(client, org.teller, zone="Europe/London")
        .get(reverse("customers:fx_board"), headers={"HX-Request": "true"}, query_params={"part": "board"})
        .content.decode()
    )
    assert html.startswith('<div class="card" id="fx-board"')  # only the card: what the polling swaps
    assert "2026-12-06 01:30" in html and "Europe/London" in html
    assert "Manual posting" in html and org.product_manager.display_name in html
    html = client_of(client, org.manager, zone="Asia/Shanghai").get(reverse("customers:fx_board")).content.decode()
    assert "2026-12-06 09:30" in html and "Asia/Shanghai" in html


def test_the_stale_warning_follows_the_parameter(client, org):
    rate(org.bank_a, minutes_ago=3 * 60)
    client_of(client, org.teller)
    assert 'id="fx-stale"' not in client.get(reverse("customers:fx_board")).content.decode()
    parameters.set_value("fx.stale_after_hours", "2", bank=org.bank_a, actor=org.admin)
    html = client.get(reverse("customers:fx_board")).content.decode()
    assert 'id="fx-stale"' in html and "more than 2 hours ago" in html


def test_a_person_of_no_bank_has_no_board(client, org, make_staff):
    operator = make_staff("platform.op", roles=["platform_operator"])
    operator.user_permissions.add(*Permission.objects.filter(codename="view_fxrate"))
    assert client_of(client, operator).get(reverse("customers:fx_board")).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    for name in ("fx_board", "fx_convert", "fx_history", "fx_post"):
        response = client.get(reverse(f"customers:{name}"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def test_the_converter_answers_a_fragment_with_the_side_used(client, org):
    rate(org.bank_a, buy_transfer="7.0893", sell_transfer="7.1107")
    client_of(client, org.teller)
    query = {"amount": "1234.56", "from_currency": "USD", "to_currency": "CNY", "channel": "transfer"}
    html = client.get(reverse("customers:fx_convert"), query, headers={"HX-Request": "true"}).content.decode()
    assert 'id="fx-result">8752.17<' in html and "the bank buys USD at 7.0893" in html
    html = client.get(reverse("customers:fx_convert"), {**query, "channel": "cash"}).content.decode()
    assert "<html" in html and "No cash buying rate is posted for USD." in html  # named, never a 500
    html = client.get(reverse("customers:fx_convert"), {**query, "amount": "abc"}).content.decode()
    assert "Amount:" in html


def test_the_posting_form_asks_a_checker_and_posts_nothing(client, org):
    client_of(client, org.product_manager)
    assert client.get(reverse("customers:fx_post")).status_code == 200
    data = {"currency": "usd", "rate": "7.1", "buy_transfer": "7.09", "sell_transfer": "7.11", "buy_cash": "", "sell_cash": ""}
    response = client.post(reverse("customers:fx_post"), data)
    assert response.status_code == 302
    request = ChangeRequest.objects.get(action=services.ACTION_POST)
    assert request.payload["currency"] == "USD" and request.maker == org.product_manager
    assert not FxRate.objects.exists()
    bad = client.post(reverse("customers:fx_post"), {**data, "buy_transfer": "7.2"})
    assert bad.status_code == 200 and "A buying rate may not be above the middle rate." in bad.content.decode()
    assert ChangeRequest.objects.count() == 1


def test_the_posting_form_needs_the_posting_permission(client, org):
    assert client_of(client, org.manager).get(reverse("customers:fx_post")).status_code == 403
    assert client.post(reverse("customers:fx_post"), {"currency": "USD", "rate": "7.1"}).status_code == 403
    assert not ChangeRequest.objects.exists()


def test_the_history_chart_carries_the_days_latest_middle_rate(client, org):
    today = timezone.localdate()
    start = datetime.datetime.combine(today - datetime.timedelta(days=1), datetime.time(1), tzinfo=datetime.UTC)
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=Decimal("7.0"), effective_at=start)
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=Decimal("7.2"), effective_at=start + datetime.timedelta(hours=5))
    FxRate.objects.create(bank=org.bank_b, currency="GBP", rate=Decimal("9.1"), effective_at=start)
    response = client_of(client, org.teller).get(reverse("customers:fx_history"), {"currency": "GBP"})
    assert response.context["currency"] == "USD" and response.context["currencies"] == ["USD"]  # no GBP in bank A
    data = json.loads(response.content.decode().split('id="fx-history-data" type="application/json">')[1].split("</script>")[0])
    assert [point["middle"] for point in data] == [7.2]
    assert "vendor/chartjs/chart.umd.min.js" in response.content.decode()


@pytest.mark.parametrize("name", ["fx_board", "fx_history", "fx_convert"])
def test_the_pages_cost_a_bounded_number_of_queries(client, org, django_assert_max_num_queries, name):
    for index, currency in enumerate(("USD", "HKD", "EUR", "GBP", "SGD", "JPY")):
        for day in range(5):
            rate(
                org.bank_a,
                currency=currency,
                middle=f"{index + 1}.5",
                minutes_ago=60 * 24 * day + 10,
                buy_transfer=f"{index + 1}.4",
            )
    client_of(client, org.teller)
    query = {"amount": "100", "from_currency": "USD", "to_currency": "CNY"} if name == "fx_convert" else {}
    client.get(reverse(f"customers:{name}"), query)  # the first request fills per-process caches
    with django_assert_max_num_queries(12):
        assert client.get(reverse(f"customers:{name}"), query).status_code == 200


def test_the_checker_approves_the_posting_in_the_inbox_and_the_board_changes(client, org, make_staff):
    checker = make_staff("a.pm.checker", branch=org.a_ho, roles=["product_manager"])
    client_of(client, org.product_manager).post(
        reverse("customers:fx_post"), {"currency": "USD", "rate": "7.1", "buy_cash": "7.04"}
    )
    request = ChangeRequest.objects.get(action=services.ACTION_POST)
    # The maker's own inbox does not offer it; approving it through the page changes nothing.
    assert f"inbox-row-{request.pk}" not in client.get(reverse("workbench:inbox")).content.decode()
    client.post(reverse("workbench:approve"), {"only": request.pk})
    assert not FxRate.objects.exists()

    client_of(client, checker)
    inbox = client.get(reverse("workbench:inbox")).content.decode()
    assert f"inbox-row-{request.pk}" in inbox and "Post an exchange rate" in inbox
    detail = client.get(reverse("workbench:request_detail", args=[request.pk])).content.decode()
    assert "cash buying rate" in detail and "7.04" in detail  # the figures by their labels
    client.post(reverse("workbench:approve"), {"only": request.pk})
    rate = FxRate.objects.get()
    assert (rate.buy_cash, rate.posted_by, rate.approved_by) == (Decimal("7.04"), org.product_manager, checker)
    assert 'data-currency="USD"' in client.get(reverse("customers:fx_board")).content.decode()
