"""The "Lifecycle changes" page: scope, filters, default business date, export, query count."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from customers.lifecycle import services as lifecycle
from customers.lifecycle.models import LifecycleChange
from ocrm.batch.models import JobRun
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

URL = reverse("customers:lifecycle_changes")
DAY = timezone.localdate() - datetime.timedelta(days=2)
EARLIER = DAY - datetime.timedelta(days=1)


def changed(number, branch, manager, day=DAY, stage_from="active", stage_to="dormant"):
    customer = make_customer(number, branch, manager, lifecycle_stage=stage_to)
    return LifecycleChange.objects.create(
        bank_id=branch.bank_id,
        customer=customer,
        stage_from=stage_from,
        stage_to=stage_to,
        business_date=day,
        reason=f"{stage_to}: test",
    )


@pytest.fixture
def changes(org):
    return {
        "mine": changed("L1", org.a_sh, org.manager),
        "mine_exited": changed("L2", org.a_sh, org.manager, stage_to="exited"),
        "mine_earlier": changed("L3", org.a_sh, org.manager, day=EARLIER),
        "colleague": changed("L4", org.a_bj, org.manager_bj),
        "other_bank": changed("L5", org.b_hk, org.b_manager),
    }


def numbers(response):
    assert response.status_code == 200, response.status_code
    return sorted(row.record.customer.number for row in response.context["table"].page.object_list)


def test_a_manager_sees_only_their_customers_changes(client, org, changes):
    client.force_login(org.manager)
    assert numbers(client.get(URL)) == ["L1", "L2"]  # the latest date by default
    assert numbers(client.get(URL + f"?business_date={EARLIER.isoformat()}")) == ["L3"]
    assert numbers(client.get(URL + "?business_date=&stage_to=exited")) == ["L2"]
    client.force_login(org.manager_bj)
    assert numbers(client.get(URL)) == ["L4"]
    client.force_login(org.b_manager)
    assert numbers(client.get(URL)) == ["L5"]


def test_a_supervisor_sees_their_subtree_and_head_office_the_bank(client, org, changes):
    client.force_login(org.supervisor)
    assert numbers(client.get(URL + "?business_date=")) == ["L1", "L2", "L3"]
    client.force_login(org.auditor)
    assert numbers(client.get(URL + "?business_date=")) == ["L1", "L2", "L3", "L4"]


def test_the_default_date_is_the_latest_successful_run(client, org, changes):
    # The run of the 23rd found no changes: the morning page shows that date, empty.
    later = DAY + datetime.timedelta(days=1)
    JobRun.objects.create(job=lifecycle.JOB, key="k", bank_id=org.bank_a.pk, business_date=later, status=JobRun.Status.SUCCEEDED)
    client.force_login(org.manager)
    response = client.get(URL)
    assert numbers(response) == []
    assert later.isoformat() in response.content.decode()


def test_without_the_permission_the_page_is_forbidden(client, org, changes):
    client.force_login(org.teller)
    assert client.get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_the_export_holds_the_filtered_scoped_rows(client, org, changes):
    org.manager.language = "en"  # the export speaks the user's language
    org.manager.save()
    client.force_login(org.manager)
    response = client.get(URL + "?export=xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    header = [str(name).lower() for name in rows[0]]
    body = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert sorted(row["customer number"] for row in body) == ["L1", "L2"]
    assert {row["to"] for row in body} == {"Dormant", "Exited"}


def test_the_page_needs_a_bounded_number_of_queries(client, org, changes, django_assert_max_num_queries):
    client.force_login(org.supervisor)
    client.get(URL)  # warms the session's caches (parameters, navigation)
    for i in range(20):
        changed(f"LQ{i:02d}", org.a_sh_sub, org.manager_sub)
    with django_assert_max_num_queries(15):
        response = client.get(URL + "?per_page=50")
    assert len(response.context["table"].page.object_list) == 22
