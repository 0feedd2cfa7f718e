"""The nightly duplicate scan on a real Celery worker (customers.ecif.matching.tasks)."""

import datetime

import pytest

from customers.ecif.matching.models import MatchCandidate
from customers.ecif.matching.tasks import JOB, find_duplicates
from customers.master.models import ContactPoint, RetailProfile
from ocrm.batch.models import JobRun
from tests.factories import make_customer

pytestmark = pytest.mark.django_db(transaction=True)


def person(org, number, name_local, phone):
    customer = make_customer(number, org.a_sh, name_local=name_local, name_latin="")
    RetailProfile.objects.filter(customer=customer).update(birth_date=datetime.date(1970, 7, 7))
    ContactPoint.objects.create(bank_id=customer.bank_id, customer=customer, kind="mobile", value=phone)
    customer.addresses.create(bank_id=customer.bank_id, kind="home", country="CN", line1="上海市长宁路8号")
    return customer


def test_the_worker_queues_duplicates_once_per_business_date(celery_worker, org):
    a = person(org, "C0000000301", "陈志强", "+8613911112222")
    b = person(org, "C0000000302", "陈志墙", "+8613911112222")  # a typo in the name, the same phone and address
    person(org, "C0000000303", "刘洋", "+8613000000000")

    result = find_duplicates.delay("2026-11-23").get(timeout=120)

    # The all-banks run, and each bank in a sub-run of its own.
    assert result["status"] == JobRun.Status.SUCCEEDED and result["counts"] == {"banks": 2}
    assert [(r["bank_id"], r["status"]) for r in result["sub_runs"]] == [
        (org.bank_a.pk, JobRun.Status.SUCCEEDED),
        (org.bank_b.pk, JobRun.Status.SUCCEEDED),
    ]
    candidate = MatchCandidate.objects.get()
    assert (candidate.customer_a_id, candidate.customer_b_id, candidate.status) == (a.pk, b.pk, "pending")
    run = JobRun.objects.get(job=JOB, bank_id=org.bank_a.pk)
    assert run.counts == {"queued": 1, "merged": 0} and run.progress_done == 1

    # The same business date again: the run already succeeded, nothing more happens.
    again = find_duplicates.delay("2026-11-23", org.bank_a.pk).get(timeout=120)
    assert again["job_run"] == run.pk
    assert MatchCandidate.objects.count() == 1 and JobRun.objects.filter(job=JOB, bank_id__isnull=False).count() == 2
    assert JobRun.objects.filter(job=JOB).count() == 3  # the two banks' runs and the all-banks run
