"""Snapshot rows for the analyses' tests, written directly (the nightly build is not the
analyses' concern): a customer-day row per customer and date, with what the analyses read."""

import datetime
from decimal import Decimal

from django.utils import timezone

from customers.master.models import Holding, Transaction
from reports.snapshots.models import CustomerDay
from tests.factories import make_customer, make_product

METHOD_VERSION = 1

# The business date the tests read, and the comparison date 30 days before it.
D = datetime.date(2026, 11, 30)
D_PREV = D - datetime.timedelta(days=30)  # 2026-10-31


def customer_day(customer, day, *, aum=0, contribution=0, stage="active", products=1, txns=0, manager="same", branch=None):
    """The snapshot row of `customer` on `day` (manager: the customer's primary manager unless given)."""
    manager_id = customer.primary_manager_id if manager == "same" else (manager.pk if manager is not None else None)
    return CustomerDay.objects.create(
        bank_id=customer.bank_id,
        business_date=day,
        customer_id=customer.pk,
        branch_id=(branch or customer.branch).pk,
        manager_id=manager_id,
        kind=customer.kind,
        lifecycle_stage=stage,
        tier=customer.tier,
        star_rating=customer.star_rating,
        aum=Decimal(str(aum)),
        liabilities=Decimal(0),
        contribution=Decimal(str(contribution)),
        fee_income=Decimal(0),
        products_held=products,
        product_categories="asset",
        transactions_30d=txns,
        method_version=METHOD_VERSION,
    )


def customers(prefix, branch, manager, count, **extra):
    return [make_customer(f"{prefix}{i:03d}", branch, manager, **extra) for i in range(count)]


def holding(customer, *, product_type="demand_deposit", number=None, **fields):
    category = "liability" if product_type in ("loan", "card") else "asset"
    product = make_product(customer.bank, code=f"P-{product_type}", category=category, product_type=product_type)
    return Holding.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        product=product,
        branch=customer.branch,
        account_number=number or f"ACC-{customer.number}-{product_type}-{Holding.objects.count()}",
        currency="CNY",
        **fields,
    )


def salary(customer, day, amount=10000, account=None):
    """A salary credit at noon UTC of `day`."""
    account = account or holding(customer)
    return Transaction.objects.create(
        bank_id=customer.bank_id,
        customer_id=customer.pk,
        holding=account,
        occurred_at=datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC),
        amount=amount,
        currency="CNY",
        direction="C",
        channel="batch",
        txn_type="salary",
    )


def today():
    return timezone.now().date()
