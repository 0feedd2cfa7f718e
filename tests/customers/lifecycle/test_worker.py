"""The lifecycle job on a real Celery worker: one bank, the jobs page's all-banks run, reruns."""

import datetime

import pytest
from django.utils import timezone

from customers.lifecycle import services as lifecycle
from customers.lifecycle.models import LifecycleChange
from customers.lifecycle.tasks import run_lifecycle
from customers.master.models import Customer, Holding, Transaction
from ocrm.batch import jobs
from ocrm.batch.models import JobRun
from ocrm.notifications.models import Notification
from sysadmin.org.models import Staff
from sysadmin.parameters import services as parameters
from tests.factories import make_customer, make_product
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.timeout(300), pytest.mark.usefixtures("english_staff")]

DAY = timezone.localdate() - datetime.timedelta(days=2)


def active_customer(number, branch, manager):
    customer = make_customer(number, branch, manager, lifecycle_stage="prospect")
    product = make_product(branch.bank, code=f"DD-{branch.bank.base_currency}", currency=branch.bank.base_currency)
    holding = Holding.objects.create(
        bank_id=branch.bank_id,
        customer=customer,
        product=product,
        account_number=f"AC-{number}",
        currency=product.currency,
        balance=60_000,
        open_date=DAY - datetime.timedelta(days=900),
    )
    Transaction.objects.create(
        bank_id=branch.bank_id,
        customer_id=customer.pk,
        holding=holding,
        occurred_at=timezone.now() - datetime.timedelta(days=3),
        amount=10,
        currency=product.currency,
        direction="D",
        channel="atm",
        txn_type="withdrawal",
    )
    return customer


def test_a_worker_runs_one_bank_and_a_rerun_does_nothing_more(celery_worker, org):
    active_customer("W1", org.a_sh, org.manager)
    active_customer("W2", org.a_sh, org.manager)

    result = run_lifecycle.delay(business_date=DAY.isoformat(), bank_id=org.bank_a.pk).get(timeout=90)
    run = JobRun.objects.get(job=lifecycle.JOB, bank_id=org.bank_a.pk, business_date=DAY)
    assert result["status"] == JobRun.Status.SUCCEEDED and result["job_run"] == run.pk
    assert run.counts == {
        "customers": 2,
        "stage_changes": 2,
        "rating_changes": 2,
        "customers_updated": 2,
        "history_rows_written": 4,
        "managers_notified": 1,
    }
    assert run.progress_done == run.progress_total == 2
    assert set(Customer.objects.values_list("lifecycle_stage", "tier", "star_rating")) == {("active", "affluent", 3)}
    notice = Notification.objects.get(recipient=org.manager)
    assert notice.body.startswith("2 of your customers")

    again = run_lifecycle.delay(business_date=DAY.isoformat(), bank_id=org.bank_a.pk).get(timeout=90)
    assert again["job_run"] == run.pk
    assert JobRun.objects.filter(job=lifecycle.JOB).count() == 1
    assert LifecycleChange.objects.count() == 2 and Notification.objects.count() == 1


def test_the_jobs_page_starts_an_all_banks_run(celery_worker, org):
    active_customer("W3", org.a_sh, org.manager)
    active_customer("W4", org.b_hk, org.b_manager)
    superuser = Staff.objects.create_superuser("root.lc", password="Test-Pass-2026!", must_change_password=False)

    queued = jobs.start_job(superuser, lifecycle.JOB, DAY)
    parent = wait_for(lambda: JobRun.objects.filter(pk=queued.pk, status=JobRun.Status.SUCCEEDED).first(), "the all-banks run")
    assert parent.counts == {"banks": 2}
    per_bank = JobRun.objects.filter(job=lifecycle.JOB, bank_id__isnull=False, business_date=DAY)
    assert sorted(per_bank.values_list("bank_id", "status")) == [
        (org.bank_a.pk, JobRun.Status.SUCCEEDED),
        (org.bank_b.pk, JobRun.Status.SUCCEEDED),
    ]
    assert set(Customer.objects.values_list("lifecycle_stage", flat=True)) == {"active"}


def test_a_failing_bank_run_records_its_error(celery_worker, org):
    parameters.set_value("rating.tier_thresholds", [{"tier": "gold", "aum": 1}], bank=org.bank_a)
    active_customer("W5", org.a_sh, org.manager)
    result = run_lifecycle.delay(business_date=DAY.isoformat(), bank_id=org.bank_a.pk)
    with pytest.raises(Exception, match="rating.tier_thresholds"):
        result.get(timeout=90)
    run = JobRun.objects.get(job=lifecycle.JOB, bank_id=org.bank_a.pk)
    assert run.status == JobRun.Status.FAILED and "tier 'gold' is not allowed" in run.error_report
    assert Customer.objects.get(number="W5").lifecycle_stage == "prospect"
