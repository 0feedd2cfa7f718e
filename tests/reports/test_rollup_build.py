"""The nightly roll-up (reports.snapshots.rollup): written by the snapshot build from the date's
customer rows, every grain adding up to them; idempotent, immutable, partitioned by month and
dropped with the snapshots' months."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Sum

from ocrm.datalife import partitions
from reports.snapshots import build as snapshots
from reports.snapshots import rollup, services
from reports.snapshots.models import (
    CustomerDay,
    HoldingBranchDay,
    HoldingDay,
    RollupDay,
    RollupMoveDay,
    TransactionBranchDay,
    TransactionDay,
)
from sysadmin.parameters.models import SystemParameter
from tests.reports import test_snapshots

pytestmark = pytest.mark.django_db

# The snapshot build's book (bank A: two golden customers, a merged duplicate; bank B: one).
book = test_snapshots.book
day = test_snapshots.day

SUMS = ("aum", "liabilities", "contribution", "fee_income")


def figures(rows, *group, count="customer_count", products="product_count"):
    """{group values: (customers, products, sums...)} of rows grouped by `group`."""
    if rows.model is CustomerDay:
        totals = {"n": Count("id"), "p": Sum("products_held")}
    else:
        totals = {"n": Sum(count), "p": Sum(products)}
    found = rows.values(*group).order_by().annotate(**totals, **{f"s_{name}": Sum(name) for name in SUMS})
    return {tuple(r[g] for g in group): (r["n"], r["p"], *[r[f"s_{name}"] for name in SUMS]) for r in found}


def test_the_build_writes_the_rollup_of_its_customer_rows(org, book, day):
    run = snapshots.build(org.bank_a, day)
    customers = CustomerDay.objects.filter(bank_id=org.bank_a.pk, business_date=day)
    rolled = RollupDay.objects.filter(bank_id=org.bank_a.pk, business_date=day)
    assert run.rows["rollup"] == rolled.count() > 0
    dimensions = {
        "stage": ("lifecycle_stage",),
        "tier": ("tier",),
        "star": ("star_rating",),
        "products": ("products_held", "product_categories"),
    }
    for grain, columns in dimensions.items():
        of_grain = rolled.filter(grain=grain)
        key = ("branch_id", "manager_id", *columns)
        # Each grain is the customer rows grouped by branch × manager × its dimension, to the cent.
        assert figures(of_grain, *key) == figures(customers, *key), grain
        others = {"lifecycle_stage", "tier", "star_rating", "products_held", "product_categories"} - set(columns)
        for other in others:
            assert not of_grain.filter(**{f"{other}__isnull": False}).exists(), (grain, other)
        # The branch level: the same customers grouped by branch × the dimension, no manager.
        of_branch = rolled.filter(grain=rollup.branch_grain(grain))
        assert of_branch.exists() and not of_branch.filter(manager_id__isnull=False).exists(), grain
        assert figures(of_branch, "branch_id", *columns) == figures(customers, "branch_id", *columns), grain
    c1 = rolled.get(grain="star", star_rating=3)
    assert (c1.branch_id, c1.manager_id, c1.customer_count, c1.aum) == (org.a_sh.pk, org.manager.pk, 1, Decimal("1700.00"))
    assert c1.method_version == rollup.ROLLUP_VERSION
    assert not RollupDay.objects.filter(bank_id=org.bank_b.pk).exists()


def test_a_rerun_changes_nothing_and_a_rewrite_never_doubles(org, book, day):
    snapshots.build(org.bank_a, day)
    before = list(RollupDay.objects.filter(business_date=day).order_by("id").values())
    snapshots.build(org.bank_a, day)
    assert list(RollupDay.objects.filter(business_date=day).order_by("id").values()) == before
    with connection.cursor() as cursor:
        written = rollup.write(cursor, org.bank_a.pk, day)
    again = RollupDay.objects.filter(business_date=day)
    assert written == len(before) == again.count()
    # Two customers, once in each of the 4 grains, per manager and again per branch.
    assert again.aggregate(n=Sum("customer_count"))["n"] == 4 * 2 * 2


def test_rollup_rows_cannot_be_updated(org, book, day):
    snapshots.build(org.bank_a, day)
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        RollupDay.objects.filter(business_date=day).update(customer_count=99)
    assert set(RollupDay.objects.filter(business_date=day).values_list("customer_count", flat=True)) == {1}


def test_the_rollup_is_partitioned_by_month_and_dropped_with_the_snapshots(org, book, day):
    snapshots.build(org.bank_a, day)
    month = partitions.month_start(day)
    pk = RollupDay.objects.filter(business_date=day).values_list("pk", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM reports_rollupday WHERE id = %s", [pk])
        assert cursor.fetchone()[0] == f"reports_rollupday_p{month:%Y%m}"
    SystemParameter.objects.create(bank=None, key="reports.snapshot_retention_months", value_type="int", value="2")
    report = services.drop_old_months(today=partitions.add_months(month, 3))
    assert f"reports_rollupday_p{month:%Y%m}" in report["dropped"]
    assert not RollupDay.objects.filter(business_date=day).exists()


def test_which_dates_have_a_rollup(org, book, day):
    snapshots.build(org.bank_a, day)
    earlier = day - datetime.timedelta(days=1)
    assert rollup.dates_with_rollup(org.bank_a.pk, [day, earlier, None]) == {day}
    assert rollup.dates_with_rollup(org.bank_b.pk, [day]) == set()
    assert rollup.dates_with_rollup(org.bank_a.pk, []) == set()


def test_the_build_rolls_up_the_movement_from_the_previous_month_end(org, book, day):
    month_end = rollup.movement_compare_date(day)
    first = snapshots.build(org.bank_a, month_end)
    assert first.rows["movement"] == 0  # no customer rows a month before it
    run = snapshots.build(org.bank_a, day)
    moves = RollupMoveDay.objects.filter(bank_id=org.bank_a.pk, business_date=day, compare_date=month_end)
    assert run.rows["movement"] == moves.count() > 0
    for grain in ("stage", "tier", "star"):
        # The two customers were customers on both dates, with the same branch and manager.
        of_grain = moves.filter(grain=grain)
        assert of_grain.aggregate(n=Sum("customer_count"))["n"] == 2
        assert not of_grain.filter(then_branch_id__isnull=True).exists()
        assert not of_grain.filter(branch_id__isnull=True).exists()
    stars = {(m.before_value, m.after_value, m.branch_id) for m in moves.filter(grain="star")}
    assert ("3", "3", org.a_sh.pk) in stars


def test_the_build_rolls_up_the_movement_from_the_day_before(org, book, day):
    before = day - datetime.timedelta(days=1)
    snapshots.build(org.bank_a, before)
    book["c1"].lifecycle_stage = "dormant"  # the customer moves on the next day
    book["c1"].save()
    snapshots.build(org.bank_a, day)
    assert rollup.has_movement(org.bank_a.pk, day, before)
    moves = RollupMoveDay.objects.filter(bank_id=org.bank_a.pk, business_date=day, compare_date=before, grain="stage")
    found = {(m.before_value, m.after_value): m.customer_count for m in moves}
    was = CustomerDay.objects.get(business_date=before, customer_id=book["c1"].pk).lifecycle_stage
    assert found[(was, "dormant")] == 1
    assert sum(found.values()) == 2


def test_the_build_writes_the_per_branch_holdings_and_transactions(org, book, day):
    run = snapshots.build(org.bank_a, day)
    for model, branch_model, group, sums in (
        (HoldingDay, HoldingBranchDay, ("branch_id", "product_id", "currency"), ("holders", "accounts", "balance_base")),
        (TransactionDay, TransactionBranchDay, ("branch_id", "channel", "txn_type", "currency"), ("count", "amount_base")),
    ):
        source = model.objects.filter(bank_id=org.bank_a.pk, business_date=day)
        rolled = branch_model.objects.filter(bank_id=org.bank_a.pk, business_date=day)
        assert run.rows[branch_model._meta.db_table] == rolled.count() > 0
        found = {
            tuple(r[g] for g in group): tuple(r[s] for s in sums)
            for r in source.values(*group).order_by().annotate(**{s: Sum(s) for s in sums})
        }
        assert {tuple(getattr(r, g) for g in group): tuple(getattr(r, s) for s in sums) for r in rolled} == found
        assert rollup.branch_complete(model, org.bank_a.pk, [day, day - datetime.timedelta(days=1)])
    # A rewrite replaces the date's rows, never doubles them; the rows are immutable.
    with connection.cursor() as cursor:
        assert rollup.write_branch(cursor, org.bank_a.pk, day) == {
            table: run.rows[table] for table in ("reports_holdingbranchday", "reports_transactionbranchday")
        }
    assert TransactionBranchDay.objects.filter(business_date=day).count() == run.rows["reports_transactionbranchday"]
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        TransactionBranchDay.objects.filter(business_date=day).update(count=99)
