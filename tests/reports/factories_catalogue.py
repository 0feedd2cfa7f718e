"""Snapshot rows written directly for the report pages' tests (the nightly build is not theirs)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from reports.snapshots.models import CustomerDay, HoldingDay, MeasureDay, SnapshotRun, TransactionDay

D = Decimal


def snapshot_run(bank, business_date, status=SnapshotRun.Status.DONE):
    now = timezone.now()
    return SnapshotRun.objects.update_or_create(
        bank_id=bank.pk,
        business_date=business_date,
        defaults={"status": status, "started_at": now, "finished_at": now if status == SnapshotRun.Status.DONE else None},
    )[0]


def customer_day(customer, business_date, *, branch=None, manager=None, **values):
    branch = branch or customer.branch
    manager = manager if manager is not None else customer.primary_manager
    fields = {
        "kind": customer.kind,
        "lifecycle_stage": "active",
        "tier": "mass",
        "star_rating": 1,
        "aum": D("0"),
        "liabilities": D("0"),
        "contribution": D("0"),
        "fee_income": D("0"),
        "products_held": 0,
        "product_categories": "",
        "transactions_30d": 0,
        "method_version": 1,
    }
    fields.update(values)
    return CustomerDay.objects.create(
        bank_id=customer.bank_id,
        business_date=business_date,
        customer_id=customer.pk,
        branch_id=branch.pk,
        manager_id=manager.pk if manager is not None else None,
        **fields,
    )


def holding_day(
    branch, business_date, product, *, manager=None, currency="CNY", holders=1, accounts=1, balance="0", balance_base=None
):
    return HoldingDay.objects.create(
        bank_id=branch.bank_id,
        business_date=business_date,
        branch_id=branch.pk,
        manager_id=manager.pk if manager is not None else None,
        product_id=product.pk,
        category=product.category,
        currency=currency,
        holders=holders,
        accounts=accounts,
        balance=D(balance),
        balance_base=D(balance_base if balance_base is not None else balance),
        method_version=1,
    )


def transaction_day(
    branch, business_date, *, manager=None, channel="online", txn_type="transfer", currency="CNY", count=1, amount="0"
):
    return TransactionDay.objects.create(
        bank_id=branch.bank_id,
        business_date=business_date,
        branch_id=branch.pk,
        manager_id=manager.pk if manager is not None else None,
        channel=channel,
        txn_type=txn_type,
        currency=currency,
        count=count,
        amount_base=D(amount),
        method_version=1,
    )


def measure_day(branch, business_date, measure, value, *, manager=None):
    return MeasureDay.objects.create(
        bank_id=branch.bank_id,
        business_date=business_date,
        branch_id=branch.pk,
        manager_id=manager.pk if manager is not None else None,
        measure=measure,
        value=value,
        method_version=1,
    )


DAY = datetime.date(2026, 6, 30)
BEFORE = datetime.date(2026, 5, 31)
