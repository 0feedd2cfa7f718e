"""The nightly lifecycle, rating and tiering batch (customers.lifecycle.services) on hand-made customers."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from customers.lifecycle import services as lifecycle
from customers.lifecycle.models import LifecycleChange, RatingChange
from customers.master.models import Customer, FxRate, Holding, HoldingBalance, Transaction
from ocrm.audit.models import AuditLog
from ocrm.batch import jobs
from ocrm.batch.models import JobRun
from ocrm.batch.per_bank import scopes
from ocrm.notifications.models import Notification
from sysadmin.parameters import services as parameters
from tests.factories import make_customer, make_product

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

DAY = timezone.localdate() - datetime.timedelta(days=2)  # a business date that has ended in every zone
_accounts = iter(range(10_000, 99_999))


def hold(customer, balance, currency="CNY", status="active", category="asset", opened_days_before=1000):
    product = make_product(
        customer.bank,
        code=f"{category}-{currency}",
        category=category,
        product_type="demand_deposit" if category == "asset" else "loan",
        currency=currency,
    )
    return Holding.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        product=product,
        account_number=f"AC{next(_accounts)}",
        currency=currency,
        balance=Decimal(balance),
        status=status,
        open_date=DAY - datetime.timedelta(days=opened_days_before),
    )


def txn(holding, days_before, customer_initiated=True, is_financial=True):
    at = datetime.datetime.combine(DAY - datetime.timedelta(days=days_before), datetime.time(10, 0), tzinfo=datetime.UTC)
    return Transaction.objects.create(
        bank_id=holding.bank_id,
        customer_id=holding.customer_id,
        holding=holding,
        occurred_at=at,
        amount=100,
        currency=holding.currency,
        direction="D",
        channel="mobile",
        txn_type="transfer",
        customer_initiated=customer_initiated,
        is_financial=is_financial,
    )


def history(holding, day, balance_base):
    HoldingBalance.objects.create(
        bank_id=holding.bank_id,
        customer_id=holding.customer_id,
        holding=holding,
        business_date=day,
        balance=balance_base,
        balance_base=balance_base,
    )


def months_before(day, months):
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))


def customer(org, number, stage="active", manager=None, branch=None, **extra):
    return make_customer(
        number, branch or org.a_sh, manager if manager is not None else org.manager, lifecycle_stage=stage, **extra
    )


def stage(number):
    return Customer.objects.get(number=number).lifecycle_stage


def change(number):
    return LifecycleChange.objects.get(customer__number=number, business_date=DAY)


# --- the rules -------------------------------------------------------------------------------


def test_each_lifecycle_rule_on_hand_made_customers(org):
    customer(org, "P1", stage="prospect")  # nothing at all: stays a prospect
    fresh = customer(org, "P2", stage="prospect")
    txn(hold(fresh, 500), days_before=3)  # first customer-initiated transaction: active
    opened = customer(org, "P3", stage="prospect")
    hold(opened, 0, opened_days_before=5)  # a new account, no transaction yet: active (opening is activity)

    idle = customer(org, "D1")
    txn(hold(idle, 1000), days_before=365)  # exactly dormant_after_days (365)
    busy = customer(org, "A1", stage="dormant")
    txn(hold(busy, 1000), days_before=364)
    system_only = customer(org, "D2")
    account = hold(system_only, 1000)
    txn(account, days_before=400)
    txn(account, days_before=1, customer_initiated=False)  # interest credit: not the customer's doing
    txn(account, days_before=2, is_financial=False)  # a balance enquiry: lifecycle.financial_only

    then = months_before(DAY, 6)
    falling = customer(org, "F1")
    account = hold(falling, 70_000)
    txn(account, days_before=10)
    history(account, then, 100_000)  # -30 %: declining
    steady = customer(org, "A2")
    account = hold(steady, 70_001)
    txn(account, days_before=10)
    history(account, then, 100_000)  # -29.999 %: active

    gone = customer(org, "X1")
    txn(hold(gone, 0, status="closed"), days_before=5)
    hold(gone, 0, status="closed", category="liability")

    counts = lifecycle.run_nightly(org.bank_a, DAY)

    assert {n: stage(n) for n in ("P1", "P2", "P3", "D1", "A1", "D2", "F1", "A2", "X1")} == {
        "P1": "prospect",
        "P2": "active",
        "P3": "active",
        "D1": "dormant",
        "A1": "active",
        "D2": "dormant",
        "F1": "declining",
        "A2": "active",
        "X1": "exited",
    }
    assert change("P2").stage_from == "prospect" and change("P2").reason == "active: last customer activity 3 days ago"
    assert change("D1").reason == "dormant: no customer activity for 365 days (lifecycle.dormant_after_days = 365)"
    assert change("D2").reason.startswith("dormant: no customer activity for 400 days")
    assert change("F1").reason.startswith("declining: AUM fell 30.0% in 6 months, 100000.00 -> 70000.00")
    assert change("X1").reason == "exited: all 2 holdings closed"
    # Unchanged stages write no history.
    assert not LifecycleChange.objects.filter(customer__number__in=["P1", "A2"]).exists()
    assert counts["customers"] == 9 and counts["stage_changes"] == 7


def test_the_trend_needs_history_that_reaches_back(org):
    falling = customer(org, "F2")
    account = hold(falling, 10_000)
    txn(account, days_before=1)
    history(account, DAY - datetime.timedelta(days=30), 100_000)  # only a month back: no 6-month trend
    lifecycle.run_nightly(org.bank_a, DAY)
    assert stage("F2") == "active"


def test_aum_counts_open_asset_holdings_in_base_currency(org):
    rich = customer(org, "R1")
    txn(hold(rich, "1000.00"), days_before=1)
    hold(rich, "100.00", currency="USD")
    hold(rich, "999999.00", category="liability")  # a loan is no asset
    hold(rich, "5000.00", status="closed")
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=Decimal("7.0"), as_of=DAY - datetime.timedelta(days=9))
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=Decimal("7.1"), as_of=DAY)
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=Decimal("9.9"), as_of=DAY + datetime.timedelta(days=1))
    lifecycle.run_nightly(org.bank_a, DAY)
    assert Customer.objects.get(number="R1").aum == Decimal("1710.00")


def test_a_currency_without_a_rate_stops_the_run_and_writes_nothing(org):
    first = customer(org, "M1", stage="prospect")
    txn(hold(first, 100), days_before=1)
    hold(first, 100, currency="EUR")
    with pytest.raises(lifecycle.LifecycleError, match=r"EUR \(e\.g\. account AC\d+\)"):
        lifecycle.run_nightly(org.bank_a, DAY)
    assert stage("M1") == "prospect"
    assert not LifecycleChange.objects.exists() and not RatingChange.objects.exists()


def test_a_business_date_that_has_not_ended_is_refused(org):
    with pytest.raises(lifecycle.LifecycleError, match="has not ended yet"):
        lifecycle.run_nightly(org.bank_a, timezone.now().date() + datetime.timedelta(days=1))


def test_a_date_before_the_latest_run_is_refused(org):
    JobRun.objects.create(
        job=lifecycle.JOB, key="later", bank_id=org.bank_a.pk, business_date=DAY, status=JobRun.Status.SUCCEEDED
    )
    with pytest.raises(lifecycle.LifecycleError, match=f"already run for the later business date {DAY.isoformat()}"):
        lifecycle.run_nightly(org.bank_a, DAY - datetime.timedelta(days=1))
    lifecycle.run_nightly(org.bank_b, DAY - datetime.timedelta(days=1))  # another bank's runs do not count


# --- tiers and stars -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aum", "contribution", "tier", "stars"),
    [
        ("500000.00", "0", "wealth", 5),
        ("499999.99", "0", "affluent", 4),
        ("6000000.00", "0", "private", 7),
        ("0.01", "0", "mass", 1),
        ("0", "0", "mass", 0),
        ("0", "10000", "wealth", 5),  # the contribution route alone
        ("0", "9999.99", "affluent", 4),
    ],
)
def test_tier_and_stars_at_the_thresholds(org, aum, contribution, tier, stars):
    rated = customer(org, "T1", contribution=Decimal(contribution))
    txn(hold(rated, aum), days_before=1)
    lifecycle.run_nightly(org.bank_a, DAY)
    rated.refresh_from_db()
    assert (rated.tier, rated.star_rating) == (tier, stars)
    if (tier, stars) != ("mass", 1):  # the model's defaults
        row = RatingChange.objects.get(customer=rated, business_date=DAY)
        assert (row.tier_from, row.stars_from, row.tier_to, row.stars_to) == ("mass", 1, tier, stars)
        assert row.reason.startswith(f"AUM {Decimal(aum):.2f}, contribution {Decimal(contribution):.2f}: tier {tier}")


def test_bad_threshold_parameters_are_named(org):
    parameters.set_value("rating.star_thresholds", [{"stars": 9, "aum": 1}], bank=org.bank_a)
    with pytest.raises(lifecycle.LifecycleError, match=r"rating.star_thresholds, entry 1: stars 9"):
        lifecycle.run_nightly(org.bank_a, DAY)
    parameters.set_value("rating.star_thresholds", [{"stars": 3, "aum": "lots"}], bank=org.bank_a)
    with pytest.raises(lifecycle.LifecycleError, match=r"entry 1: aum must be a number"):
        lifecycle.run_nightly(org.bank_a, DAY)


# --- per-bank parameters -------------------------------------------------------------------


def test_parameters_are_read_per_bank(org):
    parameters.set_value("lifecycle.dormant_after_days", 30, bank=org.bank_b)
    parameters.set_value("rating.tier_thresholds", [{"tier": "private", "aum": 1000}], bank=org.bank_b)
    a = customer(org, "BA1")
    txn(hold(a, 2000), days_before=40)
    b = make_customer("BB1", org.b_hk, org.b_manager, lifecycle_stage="active")
    txn(hold(b, 2000, currency="HKD"), days_before=40)
    lifecycle.run_nightly(org.bank_a, DAY)
    lifecycle.run_nightly(org.bank_b, DAY)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.lifecycle_stage, a.tier) == ("active", "mass")
    assert (b.lifecycle_stage, b.tier) == ("dormant", "private")
    assert change("BB1").reason.endswith("(lifecycle.dormant_after_days = 30)")


# --- idempotency and scope -------------------------------------------------------------------


def test_a_rerun_of_the_same_date_writes_nothing_more(org):
    moving = customer(org, "I1", stage="prospect")
    account = hold(moving, 600_000)
    txn(account, days_before=1)
    first = lifecycle.run_nightly(org.bank_a, DAY)
    rows = list(LifecycleChange.objects.values_list("pk", "stage_from", "stage_to", "changed_at"))
    ratings = list(RatingChange.objects.values_list("pk", "tier_from", "stars_from", "tier_to", "stars_to", "changed_at"))
    assert rows and ratings and first["history_rows_written"] == 2

    again = lifecycle.run_nightly(org.bank_a, DAY)
    assert list(LifecycleChange.objects.values_list("pk", "stage_from", "stage_to", "changed_at")) == rows
    assert list(RatingChange.objects.values_list("pk", "tier_from", "stars_from", "tier_to", "stars_to", "changed_at")) == ratings
    assert (again["stage_changes"], again["rating_changes"], again["customers_updated"], again["history_rows_written"]) == (
        1,
        1,
        0,
        0,
    )

    # A rerun after the data moved rewrites the day's row (still from the state before the day) ...
    Holding.objects.filter(pk=account.pk).update(status="closed")
    lifecycle.run_nightly(org.bank_a, DAY)
    assert list(LifecycleChange.objects.values_list("stage_from", "stage_to")) == [("prospect", "exited")]
    assert RatingChange.objects.get().stars_from == 1 and RatingChange.objects.get().stars_to == 0
    # ... and withdraws it when the day's change disappears.
    Holding.objects.filter(pk=account.pk).delete()
    lifecycle.run_nightly(org.bank_a, DAY)
    assert stage("I1") == "prospect"
    assert not LifecycleChange.objects.exists()


def test_merged_customers_and_other_banks_are_untouched(org):
    survivor = customer(org, "S1", stage="prospect")
    txn(hold(survivor, 100), days_before=1)
    merged = customer(org, "S2", stage="dormant", merged_into=survivor, tier="wealth", star_rating=5)
    other = make_customer("OB1", org.b_hk, org.b_manager, lifecycle_stage="dormant")
    lifecycle.run_nightly(org.bank_a, DAY)
    merged.refresh_from_db()
    other.refresh_from_db()
    assert (merged.lifecycle_stage, merged.tier, merged.star_rating) == ("dormant", "wealth", 5)
    assert other.lifecycle_stage == "dormant"
    assert not LifecycleChange.objects.filter(customer__in=[merged, other]).exists()
    assert stage("S1") == "active"


def test_the_run_is_audited_once_per_run(org):
    txn(hold(customer(org, "AU1", stage="prospect"), 100), days_before=1)
    lifecycle.run_nightly(org.bank_a, DAY)
    entry = AuditLog.objects.get(action=AuditLog.Action.JOB, detail__event="lifecycle_run")
    assert entry.bank_id == org.bank_a.pk and entry.detail["stage_changes"] == 1


# --- the morning notification ---------------------------------------------------------------


def test_each_manager_is_notified_once_with_their_count(org, django_capture_on_commit_callbacks):
    for number in ("N1", "N2"):
        txn(hold(customer(org, number, stage="prospect"), 100), days_before=1)
    txn(hold(customer(org, "N3", stage="prospect", manager=org.manager_bj, branch=org.a_bj), 100), days_before=1)
    customer(org, "N4", stage="prospect", manager=org.manager_sub, branch=org.a_sh_sub)  # no change: no notice
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.run_nightly(org.bank_a, DAY)
    mine = Notification.objects.get(recipient=org.manager)
    assert mine.body == f"2 of your customers changed lifecycle stage on {DAY.isoformat()}."
    assert mine.link.endswith(f"?business_date={DAY.isoformat()}")
    assert Notification.objects.get(recipient=org.manager_bj).body.startswith("One of your customers")
    assert not Notification.objects.filter(recipient=org.manager_sub).exists()
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.run_nightly(org.bank_a, DAY)
    assert Notification.objects.count() == 2


def test_no_notification_before_commit(org, django_capture_on_commit_callbacks):
    txn(hold(customer(org, "C1", stage="prospect"), 100), days_before=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lifecycle.run_nightly(org.bank_a, DAY)
    assert len(callbacks) == 1 and not Notification.objects.exists()


# --- scheduling -------------------------------------------------------------------------------


def banks_due(now):
    """(bank id, business date) of every bank a scheduled tick at `now` runs."""
    return [(scope.bank_id, scope.business_date) for scope in scopes(lifecycle.NIGHTLY, now=now, due_only=True)]


def test_each_bank_runs_for_its_own_local_yesterday(org):
    org.b_ho.timezone = "America/New_York"
    org.b_ho.save()
    # 17:30 UTC: 01:30 in Shanghai (before lifecycle.run_local_hour = 2), 12:30 in New York.
    assert banks_due(datetime.datetime(2026, 3, 10, 17, 30, tzinfo=datetime.UTC)) == [(org.bank_b.pk, datetime.date(2026, 3, 9))]
    # 18:30 UTC: 02:30 on the 11th in Shanghai (yesterday = the 10th).
    assert banks_due(datetime.datetime(2026, 3, 10, 18, 30, tzinfo=datetime.UTC)) == [
        (org.bank_a.pk, datetime.date(2026, 3, 10)),
        (org.bank_b.pk, datetime.date(2026, 3, 9)),
    ]
    parameters.set_value("lifecycle.run_local_hour", 3, bank=org.bank_a)
    assert [bank for bank, _ in banks_due(datetime.datetime(2026, 3, 10, 18, 30, tzinfo=datetime.UTC))] == [org.bank_b.pk]


def test_the_beat_schedule_and_the_jobs_page_know_the_job():

    task = PeriodicTask.objects.get(name="Nightly lifecycle and rating")
    assert task.task == "customers.tasks_lifecycle.run_lifecycle" and task.enabled
    spec = jobs.JOBS[lifecycle.JOB]
    assert spec.task == task.task and spec.startable
