"""FxRate as the posted rate of record: the migration keeps every old daily rate's business date
and AUM, and several postings of one day leave the AUM on the day's latest effective posting."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from customers import demo
from customers.lifecycle import services as lifecycle
from customers.master.models import Customer, FxRate, Holding
from customers.profile.sections import latest_rates
from tests.factories import make_customer, make_product

DAY = timezone.localdate() - datetime.timedelta(days=2)
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))

BEFORE_MIGRATION = ("customers", "0015_contact_policy")

# The AUM query of the nightly job as it was before the board (customers/lifecycle/services.py).
OLD_AUM_SQL = """
WITH fx AS (SELECT DISTINCT ON (currency) currency, rate FROM customers_fxrate
            WHERE bank_id = %(bank)s AND as_of <= %(day)s ORDER BY currency, as_of DESC)
SELECT h.customer_id, sum(CASE WHEN h.currency = %(base)s THEN h.balance ELSE h.balance * fx.rate END)
FROM customers_holding h JOIN customers_product p ON p.id = h.product_id
LEFT JOIN fx ON fx.currency = h.currency
WHERE h.bank_id = %(bank)s AND p.category = 'asset' AND h.status <> 'closed'
GROUP BY h.customer_id ORDER BY h.customer_id"""


def hold(customer, balance, currency):
    product = make_product(customer.bank, code=f"DD-{currency}", currency=currency)
    return Holding.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        product=product,
        branch=customer.branch,
        account_number=f"AC{customer.number}{currency}",
        currency=currency,
        balance=Decimal(balance),
        open_date=DAY - datetime.timedelta(days=400),
    )


def active_customer(org, number):
    customer = make_customer(number, org.a_sh, org.manager)
    Customer.objects.filter(pk=customer.pk).update(lifecycle_stage="active")
    return customer


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_business_dates_and_the_aum(org):
    rich = active_customer(org, "FX1")
    hold(rich, "1000.00", "CNY")
    hold(rich, "250.55", "USD")
    hold(rich, "1000.00", "HKD")
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_MIGRATION])
    try:
        with connection.cursor() as cursor:
            for currency, rate, days_before in (("USD", "7.0", 9), ("USD", "7.1234", 0), ("HKD", "0.91", 3), ("USD", "9.9", -1)):
                cursor.execute(
                    "INSERT INTO customers_fxrate (bank_id, currency, rate, as_of) VALUES (%s, %s, %s, %s)",
                    [org.bank_a.pk, currency, rate, DAY - datetime.timedelta(days=days_before)],
                )
            cursor.execute(OLD_AUM_SQL, {"bank": org.bank_a.pk, "day": DAY, "base": "CNY"})
            before = cursor.fetchall()
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert before == [
        (rich.pk, Decimal("1000.00") + Decimal("250.55") * Decimal("7.1234") + Decimal("1000.00") * Decimal("0.91"))
    ]

    # Each old rate takes effect at the start of its date in the head office's zone (Shanghai).
    rates = FxRate.objects.filter(bank=org.bank_a).order_by("as_of")
    for rate in rates:
        assert rate.effective_at == datetime.datetime.combine(rate.as_of, datetime.time.min, tzinfo=SHANGHAI)
        assert rate.source == FxRate.Source.FEED and rate.posted_by is None
    assert [r.as_of for r in rates] == sorted(DAY - datetime.timedelta(days=d) for d in (9, 3, 0, -1))

    lifecycle.run_nightly(org.bank_a, DAY)
    assert Customer.objects.get(pk=rich.pk).aum == before[0][1].quantize(Decimal("0.01"))


@pytest.mark.django_db
def test_several_postings_of_a_day_the_latest_effective_wins(org):
    rich = active_customer(org, "FX2")
    hold(rich, "100.00", "USD")
    start = datetime.datetime.combine(DAY, datetime.time.min, tzinfo=SHANGHAI)
    # Recorded out of order: the later posting first, so that no id order can pass for time order.
    FxRate.objects.create(
        bank=org.bank_a, currency="USD", rate=Decimal("7.20"), effective_at=start + datetime.timedelta(hours=15)
    )
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=Decimal("7.00"), effective_at=start + datetime.timedelta(hours=9))
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=Decimal("7.10"), effective_at=start + datetime.timedelta(hours=1))
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=Decimal("9.90"), as_of=DAY + datetime.timedelta(days=1))

    assert FxRate.objects.day_rates(org.bank_a.pk, DAY) == {"USD": Decimal("7.20")}
    lifecycle.run_nightly(org.bank_a, DAY)
    assert Customer.objects.get(pk=rich.pk).aum == Decimal("720.00")
    # The 360 page reads the latest posting of all (the next day's here).
    assert latest_rates(rich)["USD"] == Decimal("9.90")


@pytest.mark.django_db
def test_a_posting_late_in_the_evening_utc_belongs_to_the_next_business_date_in_shanghai(org):
    rate = FxRate.objects.create(
        bank=org.bank_a,
        currency="USD",
        rate=Decimal("7.1"),
        effective_at=datetime.datetime(2026, 3, 1, 20, 0, tzinfo=datetime.UTC),
    )
    assert rate.as_of == datetime.date(2026, 3, 2)
    by_date = FxRate.objects.create(bank=org.bank_b, currency="USD", rate=Decimal("7.8"), as_of=datetime.date(2026, 3, 2))
    assert by_date.effective_at == datetime.datetime(2026, 3, 1, 16, 0, tzinfo=datetime.UTC)  # midnight in Hong Kong


@pytest.mark.django_db
def test_the_demo_posts_daily_rates_with_a_real_boards_spreads(org):
    today = datetime.date(2026, 11, 20)
    demo.load_rate_history(org.bank_a, today)
    demo.load_rate_history(org.bank_a, today)  # days already there are left alone
    usd = FxRate.objects.filter(bank=org.bank_a, currency="USD")
    assert usd.count() == demo.RATE_HISTORY_DAYS + 1
    rate = usd.get(as_of=today)
    assert rate.rate == Decimal("7.1234") and rate.source == FxRate.Source.FEED
    assert rate.effective_at == datetime.datetime(2026, 11, 20, tzinfo=SHANGHAI)  # the day's start at the head office
    assert rate.buy_cash < rate.buy_transfer < rate.rate < rate.sell_transfer == rate.sell_cash
    assert rate.sell_transfer - rate.buy_transfer == Decimal("0.02137020")  # ±0.15 %
    gbp = FxRate.objects.get(bank=org.bank_a, currency="GBP", as_of=today)
    assert (gbp.rate - gbp.buy_cash) / gbp.rate == Decimal("0.014")  # wider for the others
    base = FxRate.objects.filter(bank=org.bank_a, currency="CNY").values_list("rate", "buy_cash", "sell_transfer").distinct()
    assert list(base) == [(Decimal(1), Decimal(1), Decimal(1))]


@pytest.mark.django_db
def test_day_rates_step_through_the_currencies_of_one_bank_only(org):
    """The look-up steps from currency to currency through the index: every currency of the bank is
    found, another bank's are not, and a currency first posted after the day is not in that day."""
    start = datetime.datetime.combine(DAY, datetime.time.min, tzinfo=SHANGHAI)
    for currency, rate in (("AUD", "4.6"), ("EUR", "7.7"), ("USD", "7.1")):
        FxRate.objects.create(bank=org.bank_a, currency=currency, rate=Decimal(rate), effective_at=start)
    FxRate.objects.create(bank=org.bank_b, currency="GBP", rate=Decimal("9.1"), effective_at=start)
    FxRate.objects.create(bank=org.bank_a, currency="JPY", rate=Decimal("0.05"), as_of=DAY + datetime.timedelta(days=1))

    assert FxRate.objects.day_rates(org.bank_a.pk, DAY) == {"AUD": Decimal("4.6"), "EUR": Decimal("7.7"), "USD": Decimal("7.1")}
    assert set(FxRate.objects.day_rates(org.bank_a.pk)) == {"AUD", "EUR", "USD", "JPY"}
    assert FxRate.objects.day_rates(org.bank_b.pk) == {"GBP": Decimal("9.1")}
    assert FxRate.objects.day_rates(org.bank_b.pk, DAY - datetime.timedelta(days=1)) == {}
