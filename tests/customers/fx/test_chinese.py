"""The rate board's pages in Chinese show no English (the check of tests/customers/test_chinese_pages.py:
every msgid a page asks for is translated, no internal identifier, no English interface word)."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from customers.fx import services
from customers.master.models import FxRate
from sysadmin.org.models import Staff
from tests.customers.test_chinese_pages import ALLOWED, findings, interface_words, untranslated  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_board_pages_in_chinese_show_no_english(org, untranslated, interface_words):  # noqa: F811
    now = timezone.now()
    FxRate.objects.create(
        bank=org.bank_a, currency="USD", rate=Decimal("7.1"), buy_transfer=Decimal("7.09"), sell_transfer=Decimal("7.11"),
        buy_cash=Decimal("7.04"), sell_cash=Decimal("7.11"), effective_at=now - datetime.timedelta(days=3),
        source=FxRate.Source.MANUAL, posted_by=org.product_manager, approved_by=org.admin,
    )  # fmt: skip
    FxRate.objects.create(bank=org.bank_a, currency="HKD", rate=Decimal("0.91"), effective_at=now - datetime.timedelta(days=2))
    services.request_posting(org.bank_a, org.product_manager, "USD", {"rate": Decimal("7.2")})
    Staff.objects.filter(pk=org.product_manager.pk).update(language="zh-hans")
    client = Client()
    client.force_login(Staff.objects.get(pk=org.product_manager.pk))
    client.cookies["django_language"] = "zh-hans"
    rate = FxRate.objects.get(currency="USD")
    problems = {}
    for url in (
        "/customers/fx/",  # stale (older than a day): the warning too
        "/customers/fx/history/?currency=USD",
        "/customers/fx/postings/",
        f"/customers/fx/postings/{rate.pk}/",
        "/customers/fx/post/",
        "/customers/fx/convert/?amount=100&from_currency=USD&to_currency=CNY&channel=cash",
        "/customers/fx/convert/?amount=100&from_currency=HKD&to_currency=CNY&channel=cash",  # no cash rate: the error
    ):
        untranslated.clear()
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        found = findings(response.content.decode(), interface_words)
        found |= {f"untranslated {message!r}" for message in untranslated - ALLOWED}
        if found:
            problems[url] = sorted(found)
    assert not problems, "\n".join(f"{url}: {', '.join(items)}" for url, items in problems.items())
