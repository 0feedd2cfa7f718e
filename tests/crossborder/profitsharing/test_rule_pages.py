"""The rule pages: list (scoped), a new rule saved as a draft with errors naming the row, the
maker submits and another person approves, an active rule changed as a new draft, and the
simulation (an amount; a month's revenue) writes nothing; English and Chinese."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from crossborder.profitsharing import services, simulation
from crossborder.profitsharing.models import ProfitShareRule, ProfitStatementLine, RevenueEvent, RuleShare
from customers.master.models import FxRate
from ocrm.approvals import services as approvals
from tests.crossborder.profitsharing.test_statements import PERIOD, complete_request, setup  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]


def rule_post(**overrides):
    data = {
        "name": "Fees 70/30",
        "revenue_type": "crossborder_fee",
        "fee_type": "",
        "effective_from": "2026-11-01",
        "effective_to": "",
        "priority": "200",
        "shares-TOTAL_FORMS": "4",
        "shares-INITIAL_FORMS": "0",
        "shares-MIN_NUM_FORMS": "4",
        "shares-MAX_NUM_FORMS": "4",
        "shares-0-side": "originating",
        "shares-0-percentage": "70",
        "shares-1-side": "servicing",
        "shares-1-percentage": "30",
    }
    data.update(overrides)
    return data


def test_list_scoped_and_create_draft(client, setup, django_assert_max_num_queries):  # noqa: F811
    org, officer = setup["org"], setup["officer"]
    client.force_login(officer)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("crossborder:profit_rules"))
    assert page.status_code == 200 and setup["rule"].name in page.content.decode()
    assert client.get(reverse("crossborder:profit_rule_create")).status_code == 200
    response = client.post(reverse("crossborder:profit_rule_create"), rule_post())
    assert response.status_code == 302
    rule = ProfitShareRule.objects.get(name="Fees 70/30")
    assert rule.status == "draft" and rule.bank_id == org.bank_a.pk and rule.created_by == officer
    assert list(rule.shares.values_list("side", "percentage")) == [
        ("originating", Decimal("70.0000")),
        ("servicing", Decimal("30.0000")),
    ]
    client.force_login(org.b_admin)
    assert client.get(reverse("crossborder:profit_rule", args=[rule.pk])).status_code == 404
    assert client.get(reverse("crossborder:profit_rule_edit", args=[rule.pk])).status_code in (403, 404)
    assert "Fees 70/30" not in client.get(reverse("crossborder:profit_rules")).content.decode()


def test_errors_name_the_row_and_nothing_is_written(client, setup):  # noqa: F811
    client.force_login(setup["officer"])
    before = RuleShare.objects.count()
    response = client.post(reverse("crossborder:profit_rule_create"), rule_post(**{"shares-1-percentage": "20"}))
    assert response.status_code == 200
    assert "they must total exactly 100%" in response.content.decode()
    response = client.post(
        reverse("crossborder:profit_rule_create"), rule_post(**{"shares-1-percentage": "", "shares-1-fixed_amount": ""})
    )
    assert "Row 2: give either a percentage or a fixed amount." in response.content.decode()
    response = client.post(reverse("crossborder:profit_rule_create"), rule_post(effective_to="2026-01-01"))
    assert "The end must not be before the start." in response.content.decode()
    assert not ProfitShareRule.objects.filter(name="Fees 70/30").exists() and RuleShare.objects.count() == before


def test_maker_submits_checker_approves_then_changed_as_new_draft(client, setup):  # noqa: F811
    officer, checker = setup["officer"], setup["checker"]
    client.force_login(officer)
    client.post(reverse("crossborder:profit_rule_create"), rule_post())
    rule = ProfitShareRule.objects.get(name="Fees 70/30")
    # A draft is changed in place.
    client.post(reverse("crossborder:profit_rule_edit", args=[rule.pk]), rule_post(name="Fees 70/30 b"))
    rule.refresh_from_db()
    assert rule.name == "Fees 70/30 b" and ProfitShareRule.objects.filter(name__startswith="Fees 70/30").count() == 1
    assert client.post(reverse("crossborder:profit_rule_submit", args=[rule.pk])).status_code == 302
    rule.refresh_from_db()
    assert rule.status == "pending" and rule.change_request_id
    with pytest.raises(Exception):  # noqa: B017 (the maker never approves their own)
        approvals.approve(rule.change_request_id, officer)
    approvals.approve(rule.change_request_id, checker)
    rule.refresh_from_db()
    assert rule.status == "active"
    page = client.get(reverse("crossborder:profit_rule_edit", args=[rule.pk])).content.decode()
    assert "rule-copy-note" in page
    response = client.post(
        reverse("crossborder:profit_rule_edit", args=[rule.pk]),
        rule_post(name="Fees 60/40", **{"shares-0-percentage": "60", "shares-1-percentage": "40"}),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.status == "active" and rule.shares.first().percentage == Decimal("70")
    assert ProfitShareRule.objects.get(name="Fees 60/40").status == "draft"


def test_simulation_amount_and_month_writes_nothing(client, setup, django_assert_max_num_queries):  # noqa: F811
    """The month is converted to the statement currency at the period's rate, as the statement does
    (same SQL): the simulation's parts equal the statement's own lines of the same rule."""
    org, rule = setup["org"], setup["rule"]
    complete_request(org, setup["customer"], 1, 10_001)
    complete_request(org, setup["customer"], 2, 5_000, currency="USD")
    event = RevenueEvent.objects.get(source_reference="crossborder-request:1")
    services.reverse_event(event, "refund", datetime.date(2026, 10, 20), amount_minor=1)
    client.force_login(setup["officer"])
    url = reverse("crossborder:profit_rule", args=[rule.pk])
    # No USD rate posted on or before the month's last day: the statement's own readable refusal.
    missing = client.get(url, {"period": "2026-10-09"})
    assert missing.status_code == 200 and "No rate of USD posted on or before 2026-10-31" in missing.content.decode()
    FxRate.objects.create(
        bank=org.bank_a,
        currency="USD",
        rate=Decimal("7.12345678"),
        as_of=datetime.date(2026, 10, 31),
        effective_at=datetime.datetime(2026, 10, 31, 9, tzinfo=datetime.UTC),
    )
    FxRate.objects.create(  # after the period: not used
        bank=org.bank_a,
        currency="USD",
        rate=Decimal("99"),
        as_of=datetime.date(2026, 11, 2),
        effective_at=datetime.datetime(2026, 11, 2, 9, tzinfo=datetime.UTC),
    )
    with django_assert_max_num_queries(20):
        page = client.get(url, {"amount": "100.01", "period": "2026-10-09"})
    assert page.status_code == 200
    split = page.context["split"]
    assert [part for _share, part in split] == [3334, 6667] and sum(p for _s, p in split) == 10_001
    month = page.context["month"]
    usd_in_cny = 35_617  # round(5000 x 7.12345678) = 35617.28
    currencies = {block["currency"]: block for block in month["by_currency"]}
    assert currencies["CNY"]["events"] == 2 and currencies["CNY"]["converted_minor"] == 10_000
    assert currencies["USD"]["revenue_minor"] == 5_000 and currencies["USD"]["converted_minor"] == usd_in_cny
    assert currencies["USD"]["rate"] == Decimal("7.12345678") and currencies["USD"]["rate_date"] == datetime.date(2026, 10, 31)
    assert month["currency"] == "CNY" and month["events"] == 3 and month["revenue_minor"] == 10_000 + usd_in_cny
    assert sum(amount for _s, _n, amount in month["parts"]) == 10_000 + usd_in_cny
    # The SQL and Python allocations agree event by event (three events, each split alone).
    expected = [0, 0]
    for amount in (10_001, -1, usd_in_cny):
        for i, (_share, part) in enumerate(simulation.split_amount(rule, amount)):
            expected[i] += part
    assert [amount for _s, _n, amount in month["parts"]] == expected
    assert not ProfitStatementLine.objects.exists()
    # The statement of the month (same rule in force) has the same parts per share.
    services.compute_statement(org.bank_a, PERIOD)
    lines = ProfitStatementLine.objects.filter(rule=rule)
    assert [sum(line.amount_minor for line in lines if line.position == p) for p in (1, 2)] == expected
    body = page.content.decode()
    assert 'id="simulation-currency-USD"' in body and "35617" in body
    client.cookies["django_language"] = "zh-hans"
    body = client.get(url, {"period": "2026-10-01"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "模拟" in body and "分润规则" in body


def test_rule_pages_need_the_permission(client, setup):  # noqa: F811
    client.force_login(setup["org"].manager)
    assert client.get(reverse("crossborder:profit_rules")).status_code == 403
    assert client.post(reverse("crossborder:profit_rule_create"), rule_post()).status_code == 403
    assert client.get(reverse("crossborder:profit_rule", args=[setup["rule"].pk])).status_code == 403


def test_period_month():
    assert PERIOD == datetime.date(2026, 10, 1)
