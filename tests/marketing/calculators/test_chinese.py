"""The calculator and planning pages in Chinese show no English (the check of
tests/customers/test_chinese_pages.py: every msgid a page asks for is translated, no internal
identifier, no English interface word)."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from customers.master.models import Product
from marketing.planning import services
from sysadmin.org.models import Staff
from tests.customers.test_chinese_pages import ALLOWED, findings, interface_words, untranslated  # noqa: F401
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_the_calculator_and_plan_pages_in_chinese_show_no_english(org, untranslated, interface_words):  # noqa: F811
    customer = make_customer("C-ZH-1", org.a_sh, org.manager, risk_level="R2")
    Product.objects.create(
        bank=org.bank_a,
        code="TD1",
        name_local="三年定期",
        category="asset",
        product_type="time_deposit",
        currency="CNY",
        risk_level="R1",
    )
    future = datetime.date.today() + datetime.timedelta(days=4000)
    with translation.override("zh-hans"):  # an illustration keeps the texts of the language it was made in
        plan = services.build_plan(customer, [("购房", Decimal("500000"), future)], Decimal("1000"))
        illustration = services.save_illustration(plan, org.manager)
    Staff.objects.filter(pk=org.manager.pk).update(language="zh-hans")
    client = Client()
    client.force_login(Staff.objects.get(pk=org.manager.pk))
    client.cookies["django_language"] = "zh-hans"
    problems = {}
    for url in (
        "/marketing/calculators/",
        "/marketing/calculators/deposit/?principal=10000&annual_rate=2.75&start=2024-01-01&term_months=12"
        "&day_count=ACT/365F&demand_rate=0.3&withdraw_on=2024-07-01",
        "/marketing/calculators/deposit/?principal=-1",
        "/marketing/calculators/loan/?amount=100000&annual_rate=4.9&months=12&method=equal_principal&first_due=2024-01-31",
        "/marketing/calculators/regular-investment/?monthly_amount=1000&annual_return=6&months=36",
        "/marketing/calculators/goal/?kind=retirement&cost_today=5000&years_until=20&years_in_retirement=25&inflation=2&annual_return=4",
        f"/marketing/planning/{customer.number}/",
        f"/marketing/planning/{customer.number}/illustrations/",
        f"/marketing/planning/{customer.number}/illustrations/{illustration.pk}/",
        f"/marketing/planning/{customer.number}/illustrations/{illustration.pk}/print/",
    ):
        untranslated.clear()
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        found = findings(response.content.decode(), interface_words)
        found |= {f"untranslated {message!r}" for message in untranslated - ALLOWED}
        if found:
            problems[url] = sorted(found)
    assert not problems, "\n".join(f"{url}: {', '.join(items)}" for url, items in problems.items())
