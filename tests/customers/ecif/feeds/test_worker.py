"""Feed loads on a real Celery worker: the upload → job → production path end to end (customer
feed, matching, holdings, transactions), and a worker killed (SIGKILL) in the middle of a load:
the redelivered message resumes the same JobRun and every row ends up in production exactly once.

Loads are slowed down with OCRM_BATCH_CHUNK_DELAY (a pause per staged chunk and one before the
load commits) so that the test can kill the worker half-way."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count

from customers.ecif.feeds import services
from customers.ecif.feeds.models import FeedLoad, SourceRecord
from customers.master.models import Holding, HoldingBalance, Transaction
from ocrm.batch.models import JobRun
from tests.customers.ecif.feeds.support import CUSTOMER_HEADER, DAY1, csv_bytes, customer_row, resident_id
from tests.factories import make_product
from tests.support.waiting import wait_for

pytestmark = pytest.mark.worker

VISIBILITY_TIMEOUT = "5"
TXN_HEADER = ["txn_id", "account_number", "customer_key", "occurred_at", "amount", "currency", "direction", "channel", "txn_type"]


def succeeded_run(load):
    """The load's JobRun once it has succeeded: the load is marked loaded inside the job, and
    its run is closed a moment later, as the job returns."""
    return wait_for(
        lambda: JobRun.objects.filter(pk=load.job_run_id, status=JobRun.Status.SUCCEEDED).first(),
        f"job run #{load.job_run_id} to succeed",
    )


def upload(actor, feed, content):
    uploaded = SimpleUploadedFile(f"{feed}.csv", content)
    return services.receive_upload(actor, source_system="CORE", feed=feed, business_date=DAY1, uploaded=uploaded)


def finished(load):
    def check():
        load.refresh_from_db()
        return load if load.status not in (FeedLoad.Status.QUEUED, FeedLoad.Status.RUNNING) else None

    return wait_for(check, f"feed load #{load.pk} to finish")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return {"MEDIA_ROOT": str(tmp_path), "CELERY_VISIBILITY_TIMEOUT": VISIBILITY_TIMEOUT}


def customers_and_accounts(org, n):
    """Customer and holdings feeds for n customers, each with one account."""
    ids = [resident_id(f"11010519800101{i:03d}") for i in range(n)]
    customers = csv_bytes(
        CUSTOMER_HEADER, [customer_row(f"K{i}", name=f"客户{i}", id_number=ids[i], phone=f"1391234{i:04d}") for i in range(n)]
    )
    holdings = csv_bytes(
        ["account_number", "customer_key", "product_code", "currency", "balance"],
        [[f"62{i:06d}", f"K{i}", "DD-CNY", "CNY", f"{i}.50"] for i in range(n)],
    )
    return customers, holdings


def transactions(n, customers, amount="10.00"):
    return csv_bytes(
        TXN_HEADER,
        [
            [
                f"T{i}",
                f"62{i % customers:06d}",
                f"K{i % customers}",
                "2026-11-20 10:00:00+08:00",
                amount,
                "CNY",
                "C",
                "online",
                "transfer",
            ]
            for i in range(n)
        ],
    )


def test_customer_feed_matching_holdings_and_transactions_end_to_end(celery_worker_factory, org, media):
    make_product(org.bank_a, "DD-CNY")
    celery_worker_factory(**media)
    customers, holdings = customers_and_accounts(org, 20)

    load = finished(upload(org.admin, "customers", customers))
    assert (load.status, load.rows_loaded, load.rows_rejected) == (FeedLoad.Status.LOADED, 20, 0)
    run = succeeded_run(load)
    assert run.task_id and run.counts["read"] == 20
    # Matching ran inside the job: every record reaches a golden customer.
    records = SourceRecord.objects.filter(source_system="CORE")
    assert records.count() == 20 and not records.filter(customer__isnull=True).exists()
    assert run.counts["created"] + run.counts["matched"] == 20

    load = finished(upload(org.admin, "holdings", holdings))
    assert (load.status, load.rows_loaded) == (FeedLoad.Status.LOADED, 20)
    k3 = records.get(source_key="K3")
    assert Holding.objects.get(account_number="62000003").customer_id == k3.customer_id
    assert HoldingBalance.objects.filter(business_date=DAY1).count() == 20

    load = finished(upload(org.admin, "transactions", transactions(100, 20)))
    assert (load.status, load.rows_loaded) == (FeedLoad.Status.LOADED, 100)
    assert Transaction.objects.filter(customer_id=k3.customer_id).count() == 5


def kill_and_rerun(celery_worker_factory, media, load, at_kill_condition, check_at_kill):
    slow = celery_worker_factory(OCRM_BATCH_CHUNK_SIZE="50", OCRM_BATCH_CHUNK_DELAY="0.3", **media)

    def reached():
        load.refresh_from_db()
        run = JobRun.objects.filter(pk=load.job_run_id).first()
        return run if run is not None and at_kill_condition(run) else None

    wait_for(reached, "the load to reach the kill point", interval=0.02)
    slow.kill()
    at_kill = JobRun.objects.get(pk=load.job_run_id)
    assert at_kill.status == JobRun.Status.RUNNING and at_kill.attempts == 1
    check_at_kill()
    celery_worker_factory(**media)
    load = finished(load)
    run = succeeded_run(load)
    assert (run.pk, run.attempts) == (at_kill.pk, 2)
    return load, at_kill


def test_a_worker_killed_while_staging_then_rerun_loads_every_row_once(celery_worker_factory, org, media):
    make_product(org.bank_a, "DD-CNY")
    fast = celery_worker_factory(**media)
    customers, holdings = customers_and_accounts(org, 10)
    finished(upload(org.admin, "customers", customers))
    finished(upload(org.admin, "holdings", holdings))
    fast.stop()

    load = upload(org.admin, "transactions", transactions(1000, 10))
    load, at_kill = kill_and_rerun(
        celery_worker_factory,
        media,
        load,
        lambda run: 0 < run.counts.get("read", 0) < 1000,
        lambda: not Transaction.objects.exists(),
    )
    assert 0 < at_kill.counts["read"] < 1000
    assert (load.status, load.rows_read, load.rows_loaded) == (FeedLoad.Status.LOADED, 1000, 1000)
    per_id = Transaction.objects.values("source_txn_id").annotate(n=Count("id"))
    assert per_id.count() == 1000 and {row["n"] for row in per_id} == {1}


def test_a_worker_killed_before_the_load_commits_leaves_production_untouched(celery_worker_factory, org, media):
    make_product(org.bank_a, "DD-CNY")
    fast = celery_worker_factory(**media)
    customers, holdings = customers_and_accounts(org, 10)
    finished(upload(org.admin, "customers", customers))
    finished(upload(org.admin, "holdings", holdings))
    first = finished(upload(org.admin, "transactions", transactions(300, 10, amount="1.00")))
    assert first.rows_loaded == 300
    fast.stop()

    # A corrected re-delivery; the worker dies after staging, inside the transaction that replaces the day.
    load = upload(org.admin, "transactions", transactions(400, 10, amount="2.00"))

    def first_delivery_only():
        # At the kill, production still holds the first delivery only: the replacing transaction never committed.
        assert set(Transaction.objects.values_list("amount", flat=True).distinct()) == {1}
        assert Transaction.objects.count() == 300

    load, at_kill = kill_and_rerun(
        celery_worker_factory,
        media,
        load,
        lambda run: run.progress_total and run.progress_done == run.progress_total // 2,
        first_delivery_only,
    )
    assert at_kill.counts["read"] == 400
    # ...and after the rerun it holds the corrected delivery, each row exactly once.
    assert (load.status, load.rows_loaded) == (FeedLoad.Status.LOADED, 400)
    per_id = Transaction.objects.values("source_txn_id", "amount").annotate(n=Count("id"))
    assert per_id.count() == 400 and {(row["amount"], row["n"]) for row in per_id} == {(2, 1)}
    assert FeedLoad.objects.get(pk=first.pk).status == FeedLoad.Status.SUPERSEDED
