"""The nightly attribution rules (customers.ownership.assignment.services.apply_attribution) and their job."""

import datetime

import pytest
from django_celery_beat.models import PeriodicTask

from customers.master.models import Customer, FxRate, Holding
from customers.ownership.assignment import services as assignment
from customers.ownership.assignment.models import AssignmentChange, AttributionRule, MarketingCredit
from customers.ownership.assignment.tasks import JOB, apply_attribution_rules
from ocrm.approvals.models import ChangeRequest
from ocrm.batch.models import JobRun
from ocrm.notifications.models import Notification
from tests.factories import make_customer, make_product, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

DAY = datetime.date(2026, 11, 20)


def hold(customer, branch, number, balance, opened, product=None, currency="CNY"):
    return Holding.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        branch=branch,
        account_number=number,
        product=product or make_product(customer.bank),
        currency=currency,
        balance=balance,
        open_date=opened,
    )


def rule(org, branch_rule, manager_rule):
    return AttributionRule.objects.create(bank=org.bank_a, branch_rule=branch_rule, manager_rule=manager_rule)


def test_marketing_credit_and_opening_branch(org):
    rule(org, "opening_branch", "marketing_credit")
    manager2 = make_staff("a.mgr.sh2", branch=org.a_sh, roles=["customer_manager"])
    customer = make_customer("C-AT-1", org.a_sh)
    hold(customer, org.a_bj, "ACC-AT-2", 10, datetime.date(2020, 5, 1))
    hold(customer, org.a_sh_sub, "ACC-AT-1", 10, datetime.date(2019, 1, 1))  # opened first
    MarketingCredit.objects.create(
        bank_id=org.bank_a.pk,
        customer=customer,
        manager=org.manager,
        credited_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    MarketingCredit.objects.create(
        bank_id=org.bank_a.pk, customer=customer, manager=manager2, credited_at=datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
    )  # latest wins
    left_alone = make_customer("C-AT-2", org.a_sh)  # no credit, no holdings: stays in the pool
    owned = make_customer("C-AT-3", org.a_sh, org.manager)  # assigned: rules never touch it
    hold(owned, org.a_bj, "ACC-AT-3", 10, datetime.date(2019, 1, 1))

    counts = assignment.apply_attribution(org.bank_a, DAY)
    customer.refresh_from_db()
    assert (customer.primary_manager, customer.branch) == (manager2, org.a_sh_sub)
    assert counts == {"assigned": 1, "branch_changed": 1, "in_pool": 1, "claims_closed": 0}
    rows = AssignmentChange.objects.filter(customer=customer, kind="attribution", business_date=DAY).order_by("id")
    assert [(r.from_manager_id, r.to_manager_id, r.from_branch_id, r.to_branch_id) for r in rows] == [
        (None, manager2.pk, org.a_sh.pk, org.a_sh.pk),
        (manager2.pk, manager2.pk, org.a_sh.pk, org.a_sh_sub.pk),
    ]
    assert Customer.objects.get(pk=left_alone.pk).primary_manager_id is None
    assert Customer.objects.get(pk=owned.pk).branch == org.a_sh
    assert Notification.objects.filter(recipient=manager2, title__contains="attributed to you").count() == 1

    # A rerun changes nothing more and notifies nobody twice.
    assert assignment.apply_attribution(org.bank_a, DAY) == {"assigned": 0, "branch_changed": 0, "in_pool": 1, "claims_closed": 0}
    assert AssignmentChange.objects.filter(customer=customer).count() == 2
    assert Notification.objects.filter(recipient=manager2).count() == 1


def test_credit_to_someone_who_cannot_manage_is_ignored(org):
    rule(org, "opening_branch", "marketing_credit")
    gone = make_staff("a.mgr.gone", branch=org.a_sh, roles=["customer_manager"], status="left")
    customer = make_customer("C-AT-4", org.a_sh)
    MarketingCredit.objects.create(bank_id=org.bank_a.pk, customer=customer, manager=gone)
    MarketingCredit.objects.create(bank_id=org.bank_a.pk, customer=make_customer("C-AT-5", org.a_sh), manager=org.teller)
    assert assignment.apply_attribution(org.bank_a, DAY)["assigned"] == 0
    assert not Customer.objects.filter(bank=org.bank_a, primary_manager__isnull=False).exists()


def test_largest_aum_branch_converts_currencies(org):
    rule(org, "largest_aum", "claim")
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate="7.0", as_of=DAY)
    usd = make_product(org.bank_a, "DD-USD", currency="USD")
    loan = make_product(org.bank_a, "LN", category="liability", product_type="loan")
    customer = make_customer("C-AT-6", org.a_sh)
    hold(customer, org.a_bj, "ACC-AT-6A", 50000, DAY)  # CNY 50,000
    hold(customer, org.a_ldn, "ACC-AT-6B", 10000, DAY, product=usd, currency="USD")  # = CNY 70,000: the largest
    hold(customer, org.a_sh_sub, "ACC-AT-6C", 900000, DAY, product=loan)  # a loan is no asset
    counts = assignment.apply_attribution(org.bank_a, DAY)
    customer.refresh_from_db()
    assert customer.branch == org.a_ldn and customer.primary_manager_id is None  # the claim rule leaves it in the pool
    assert counts["branch_changed"] == 1 and counts["assigned"] == 0 and counts["in_pool"] == 1


def test_manager_branch_rule(org):
    rule(org, "manager_branch", "marketing_credit")
    customer = make_customer("C-AT-7", org.a_sh)
    MarketingCredit.objects.create(bank_id=org.bank_a.pk, customer=customer, manager=org.manager_bj)
    assignment.apply_attribution(org.bank_a, DAY)
    customer.refresh_from_db()
    assert (customer.primary_manager, customer.branch) == (org.manager_bj, org.a_bj)


def test_customers_with_a_pending_claim_or_transfer_are_left_to_people(org):
    rule(org, "opening_branch", "supervisor")
    claimed = make_customer("C-AT-8", org.a_sh)
    hold(claimed, org.a_bj, "ACC-AT-8", 1, DAY)
    assignment.claim(claimed, org.manager, "mine")
    free = make_customer("C-AT-9", org.a_sh)
    hold(free, org.a_bj, "ACC-AT-9", 1, DAY)
    assignment.apply_attribution(org.bank_a, DAY)
    assert Customer.objects.get(pk=claimed.pk).branch == org.a_sh
    assert Customer.objects.get(pk=free.pk).branch == org.a_bj
    # The supervisor rule assigns nobody: the customers wait in the pool for a supervisor.
    assert not Customer.objects.filter(pk__in=[claimed.pk, free.pk], primary_manager__isnull=False).exists()


def test_stale_claims_are_closed_by_the_nightly_job(org):
    rule(org, "opening_branch", "claim")
    customer = make_customer("C-AT-10", org.a_sh)
    request = assignment.claim(customer, org.manager, "mine")
    Customer.objects.filter(pk=customer.pk).update(primary_manager=org.manager_sub)
    assert assignment.apply_attribution(org.bank_a, DAY)["claims_closed"] == 1
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.CANCELLED


def test_no_rule_no_change(org):
    customer = make_customer("C-AT-11", org.a_sh)
    hold(customer, org.a_bj, "ACC-AT-11", 1, DAY)
    MarketingCredit.objects.create(bank_id=org.bank_a.pk, customer=customer, manager=org.manager)
    assert assignment.apply_attribution(org.bank_a, DAY)["assigned"] == 0
    customer.refresh_from_db()
    assert customer.primary_manager_id is None and customer.branch == org.a_sh


def test_other_banks_are_untouched(org):
    rule(org, "opening_branch", "marketing_credit")
    foreign = make_customer("C-AT-12", org.b_hk)
    MarketingCredit.objects.create(bank_id=org.bank_b.pk, customer=foreign, manager=org.b_manager)
    assignment.apply_attribution(org.bank_a, DAY)
    assert Customer.objects.get(pk=foreign.pk).primary_manager_id is None


def test_the_nightly_job_runs_on_a_real_worker(org, celery_worker):
    rule(org, "opening_branch", "marketing_credit")
    customer = make_customer("C-AT-13", org.a_sh)
    MarketingCredit.objects.create(bank_id=org.bank_a.pk, customer=customer, manager=org.manager)
    result = apply_attribution_rules.delay(business_date=DAY.isoformat()).get(timeout=90)
    [summary] = result["sub_runs"]  # bank A's run: bank B has no rule
    run = JobRun.objects.get(pk=summary["job_run"])
    assert run.bank_id == org.bank_a.pk and run.business_date == DAY
    assert run.job == JOB and run.status == JobRun.Status.SUCCEEDED and run.counts["assigned"] == 1
    assert Customer.objects.get(pk=customer.pk).primary_manager == org.manager
    # The same business date again: the run is already done.
    again = apply_attribution_rules.delay(business_date=DAY.isoformat()).get(timeout=90)
    assert again["job_run"] == result["job_run"] and again["status"] == JobRun.Status.SUCCEEDED
    assert JobRun.objects.get(pk=run.pk).attempts == 1 and AssignmentChange.objects.filter(customer=customer).count() == 1


def test_the_beat_schedule_exists(db):
    task = PeriodicTask.objects.get(name="Nightly customer attribution")
    assert task.task == "customers.tasks_assignment.apply_attribution_rules" and task.enabled
