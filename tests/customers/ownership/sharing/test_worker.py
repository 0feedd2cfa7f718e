"""The hourly clean-up of ended shares on a real Celery worker (its beat schedule row is
checked in test_sharing.py, before transactional tests flush it): the task records a JobRun
and removes exactly the grants of ended shares; a rerun in the same hour does nothing more."""

import datetime

import pytest
from django.utils import timezone
from guardian.models import UserObjectPermission

from customers.ownership.sharing import services as sharing
from customers.ownership.sharing.models import CustomerShare
from customers.ownership.sharing.tasks import JOB, clean_up_ended_shares
from ocrm.batch.models import JobRun
from tests.factories import make_customer

pytestmark = pytest.mark.worker


def test_clean_up_on_a_real_worker(celery_worker, org):
    customer = make_customer("C-WORKER-1", org.a_sh, org.manager)
    ended = sharing.share_customer(
        customer, org.manager, org.manager_bj, can_edit=True, expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    sharing.share_customer(
        customer, org.manager, org.manager_sub, can_edit=False, expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    CustomerShare.objects.filter(pk=ended.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))

    hour = timezone.now().strftime("%Y-%m-%dT%H")
    result = clean_up_ended_shares.delay().get(timeout=90)
    assert result["counts"] == {"grants_removed": 2}
    run = JobRun.objects.get(job=JOB)
    assert run.status == JobRun.Status.SUCCEEDED
    assert not UserObjectPermission.objects.filter(user=org.manager_bj).exists()
    assert UserObjectPermission.objects.filter(user=org.manager_sub, object_pk=str(customer.pk)).count() == 1

    again = clean_up_ended_shares.delay().get(timeout=90)
    if timezone.now().strftime("%Y-%m-%dT%H") == hour:  # same hour: the same run, already done
        assert again["job_run"] == run.pk and again["counts"] == {"grants_removed": 2}
    else:  # the hour turned between the two runs: a new run, with nothing left to remove
        assert again["counts"] == {"grants_removed": 0}
    assert UserObjectPermission.objects.filter(user=org.manager_sub, object_pk=str(customer.pk)).count() == 1
