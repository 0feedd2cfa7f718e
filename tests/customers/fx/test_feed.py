"""The fx_rates feed (the feeds pre-processing layer): a good file posts every rate with its
source and poster; a file with a bad row names the row and the field and posts nothing at all;
a corrected re-delivery overwrites; the inbox's file names take the feed's name."""

import datetime
from decimal import Decimal

import pytest

from customers.ecif.feeds.formats import FEED_NAME
from customers.ecif.feeds.models import FeedLoad
from customers.ecif.feeds.tables import outcome
from customers.fx import services
from customers.master.models import FxRate
from tests.conftest import BASE_DIR
from tests.customers.ecif.feeds.support import csv_bytes, deliver, errors_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

DAY = datetime.date(2026, 11, 20)
HEADER = ["currency", "middle_rate", "buy_transfer", "sell_transfer", "buy_cash", "sell_cash", "effective_at"]
GOOD = [
    ["USD", "7.1000", "7.0893", "7.1107", "7.0432", "7.1107", ""],
    ["HKD", "0.9112", "0.9098", "0.9126", "0.9039", "0.9126", "2026-11-20 15:30+08:00"],
    ["EUR", "7.7321", "", "", "", "", "2026-11-20 02:00"],
]


def load(actor, rows, header=HEADER, day=DAY):
    return deliver(actor, "fx_rates", csv_bytes(header, rows), source="TREASURY", date=day, name="rates.csv")


def test_a_good_file_posts_every_rate_as_the_feeds_source(org):
    result = load(org.admin, GOOD)
    assert result.status == FeedLoad.Status.LOADED and (result.rows_loaded, result.rows_rejected) == (3, 0)
    rates = {r.currency: r for r in FxRate.objects.filter(bank=org.bank_a)}
    assert set(rates) == {"USD", "HKD", "EUR"}
    usd = rates["USD"]
    assert usd.effective_at == datetime.datetime(2026, 11, 19, 16, 0, tzinfo=datetime.UTC)  # the day's start in Shanghai
    assert usd.as_of == DAY and usd.buy_cash == Decimal("7.0432") and usd.rate == Decimal("7.1000")
    assert usd.source == FxRate.Source.FEED and usd.posted_by == org.admin and usd.reference == f"FEED-{result.pk}"
    assert rates["HKD"].effective_at == datetime.datetime(2026, 11, 20, 7, 30, tzinfo=datetime.UTC)
    assert rates["EUR"].buy_transfer is None and rates["EUR"].effective_at.hour == 2  # no offset: UTC
    # The AUM reads the file's middle rates for its business date.
    assert FxRate.objects.day_rates(org.bank_a.pk, DAY) == {
        "USD": Decimal("7.1"),
        "HKD": Decimal("0.9112"),
        "EUR": Decimal("7.7321"),
    }
    board = services.board(org.bank_a, now=datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC))
    assert {r.currency for r in board.rates} == {"USD", "HKD", "EUR"}


def test_one_bad_row_posts_nothing_and_every_bad_row_is_named(org):
    rows = [
        *GOOD,
        ["XXX", "1.0", "", "", "", "", ""],  # row 5: not a currency
        ["CNY", "1", "", "", "", "", ""],  # row 6: the base currency
        ["GBP", "9.0456", "9.1", "", "", "", ""],  # row 7: buying above the middle rate
        ["SGD", "5.3012", "", "5.2", "", "", ""],  # row 8: selling below the middle rate
        ["JPY", "abc", "", "", "", "", ""],  # row 9: not a number
        ["CHF", "0", "", "", "", "", ""],  # row 10: not above zero
        ["AUD", "4.6", "", "", "", "", "2026-11-21 12:00+08:00"],  # row 11: another business date
        ["CAD", "5.1", "", "", "", "", ""],  # rows 12 and 13: twice at the same time
        ["CAD", "5.2", "", "", "", "", ""],
    ]
    result = load(org.admin, rows)
    assert errors_of(result) == [
        (5, "currency"),
        (6, "currency"),
        (7, "buy_transfer"),
        (8, "sell_transfer"),
        (9, "middle_rate"),
        (10, "middle_rate"),
        (11, "effective_at"),
        (12, "currency"),
        (13, "currency"),
    ]
    assert (result.rows_loaded, result.rows_rejected) == (0, 9)
    assert not FxRate.objects.exists()  # nothing half-written: the good rows wait for a good file
    assert "posted whole or not at all" in str(outcome(result)[0])
    reasons = dict(result.errors.values_list("row_number", "reason"))
    assert "base currency" in reasons[6] and "above the middle rate" in reasons[7]


def test_a_corrected_redelivery_overwrites_the_postings_it_contains(org):
    load(org.admin, GOOD)
    corrected = [["USD", "7.2000", "7.1900", "7.2100", "", "", ""]]
    result = load(org.admin, corrected)
    assert result.status == FeedLoad.Status.LOADED
    usd = FxRate.objects.get(bank=org.bank_a, currency="USD")
    assert usd.rate == Decimal("7.2") and usd.buy_cash is None and usd.reference == f"FEED-{result.pk}"
    assert FxRate.objects.filter(bank=org.bank_a).count() == 3


def test_a_missing_required_column_rejects_the_file(org):
    result = load(org.admin, [["USD", "7.0"]], header=["currency", "buy_transfer"])
    assert result.status == FeedLoad.Status.REJECTED and "middle_rate" in result.error
    assert not FxRate.objects.exists()


def test_the_chinese_column_names_are_read(org):
    header = ["币种", "中间价", "现汇买入价", "现汇卖出价", "现钞买入价", "现钞卖出价", "生效时间"]
    result = load(org.admin, GOOD[:1], header=header)
    assert result.rows_loaded == 1 and FxRate.objects.get().sell_cash == Decimal("7.1107")


def test_inbox_file_names_carry_the_feed_name():
    match = FEED_NAME.match("TREASURY_fx_rates_20261120.csv")
    assert (match["source"], match["feed"], match["date"]) == ("TREASURY", "fx_rates", "20261120")
    assert FEED_NAME.match("CORE_customers_20261120_part2.csv")["feed"] == "customers"


def test_the_documented_sample_file_loads_without_a_rejected_row(org):
    sample = BASE_DIR / "docs" / "samples" / "fx" / "TREASURY_fx_rates_20261120.csv"
    result = deliver(org.admin, "fx_rates", sample.read_bytes(), source="TREASURY", date=DAY, name=sample.name)
    assert (result.status, result.rows_rejected, result.rows_loaded) == (FeedLoad.Status.LOADED, 0, 6)
    # Two USD postings on the day: the later one is the day's middle rate.
    assert FxRate.objects.day_rates(org.bank_a.pk, DAY)["USD"] == Decimal("7.1288")
