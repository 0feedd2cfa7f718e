"""The revenue feed upload page: a small file loaded at once (all or nothing, errors naming row and
field on the upload's page), a file too large refused before anything is stored, a large file
loaded by a real worker whose progress the page follows; every upload audited; the permission and
the bank's scope (another bank's upload: 404); English and Chinese."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crossborder.profitsharing import feed
from crossborder.profitsharing.models import RevenueEvent, RevenueFeedUpload
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from sysadmin.parameters.models import SystemParameter
from tests.crossborder.profitsharing.test_feed import csv, row
from tests.crossborder.profitsharing.test_statements import setup  # noqa: F401
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]


def post_file(client, content, name="revenue.csv"):
    return client.post(reverse("crossborder:revenue_feed_upload"), {"file": SimpleUploadedFile(name, content)})


def imports_of(item):
    return list(
        AuditLog.objects.filter(
            action=AuditLog.Action.IMPORT, object_type="crossborder.revenuefeedupload", object_id=str(item.pk)
        )
        .order_by("id")
        .values_list("detail__step", flat=True)
    )


def test_small_file_loaded_at_once_and_audited(client, setup, django_assert_max_num_queries):  # noqa: F811
    officer = setup["officer"]
    client.force_login(officer)
    assert client.get(reverse("crossborder:revenue_feed_upload")).status_code == 200
    response = post_file(client, csv(row("R1"), row("R2", amount="50")))
    item = RevenueFeedUpload.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "crossborder:revenue_feed_upload_detail", args=[item.pk]
    )
    assert (item.status, item.rows, item.loaded, item.unchanged, item.uploaded_by) == ("loaded", 2, 2, 0, officer)
    assert RevenueEvent.objects.filter(bank=setup["org"].bank_a).count() == 2
    assert imports_of(item) == ["uploaded", "loaded"]
    with django_assert_max_num_queries(15):
        page = client.get(reverse("crossborder:revenue_feed_upload_detail", args=[item.pk])).content.decode()
    assert 'id="count-loaded">2<' in page and 'id="feed-errors"' not in page
    # The same file again: nothing twice.
    post_file(client, csv(row("R1"), row("R2", amount="50")))
    assert RevenueFeedUpload.objects.order_by("-id").first().unchanged == 2 and RevenueEvent.objects.count() == 2
    listing = client.get(reverse("crossborder:revenue_feed_uploads"))
    assert listing.status_code == 200 and len(listing.context["table"].rows) == 2


def test_rejected_file_names_row_and_field_and_writes_nothing(client, setup):  # noqa: F811
    client.force_login(setup["officer"])
    post_file(client, csv(row("R1"), row("R2", customer="NOPE"), row("R3", amount="1.234")))
    item = RevenueFeedUpload.objects.get()
    assert item.status == "rejected" and not RevenueEvent.objects.exists()
    assert {(e["row"], e["field"]) for e in item.errors} == {(3, "customer"), (4, "amount")}
    page = client.get(reverse("crossborder:revenue_feed_upload_detail", args=[item.pk])).content.decode()
    assert 'data-row="3" data-field="customer"' in page and 'data-row="4" data-field="amount"' in page
    assert "nothing was loaded" in page
    assert imports_of(item) == ["uploaded", "rejected"]
    # A file that is not a spreadsheet: one error for the whole file.
    post_file(client, b"\x00\x01\x02 not a table", name="x.csv")
    bad = RevenueFeedUpload.objects.order_by("-id").first()
    assert bad.status == "rejected" and bad.errors[0]["row"] == 0


def test_too_large_is_refused_before_storing(client, setup):  # noqa: F811
    SystemParameter.objects.create(bank=setup["org"].bank_a, key="import.max_upload_bytes", value_type="int", value="100")
    client.force_login(setup["officer"])
    page = post_file(client, csv(*(row(f"R{i}") for i in range(10))))
    assert page.status_code == 200 and "larger than" in page.content.decode()
    assert not RevenueFeedUpload.objects.exists() and not RevenueEvent.objects.exists()


def test_permission_and_scope(client, setup):  # noqa: F811
    org = setup["org"]
    client.force_login(setup["officer"])
    post_file(client, csv(row("R1")))
    item = RevenueFeedUpload.objects.get()
    detail = reverse("crossborder:revenue_feed_upload_detail", args=[item.pk])
    client.force_login(org.manager)  # no add_revenueevent
    for url in (reverse("crossborder:revenue_feed_uploads"), reverse("crossborder:revenue_feed_upload"), detail):
        assert client.get(url).status_code == 403
    assert post_file(client, csv(row("R9"))).status_code == 403
    client.force_login(org.b_admin)  # another bank's administrator
    assert client.get(detail).status_code == 404
    assert len(client.get(reverse("crossborder:revenue_feed_uploads")).context["table"].rows) == 0
    client.force_login(org.admin)  # the bank's administrator: bank scope
    assert client.get(detail).status_code == 200
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse("crossborder:revenue_feed_upload"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "上传收入文件" in body and "来源编号" in body


def test_a_large_file_is_loaded_by_a_worker_with_progress(client, setup, celery_worker_factory):  # noqa: F811
    SystemParameter.objects.create(
        bank=setup["org"].bank_a, key="profitsharing.feed_upload_sync_bytes", value_type="int", value="10"
    )
    client.force_login(setup["officer"])
    client.cookies["django_language"] = "en"
    lines = [row(f"R{i}", amount=f"{i}.01") for i in range(1, 12_001)]
    html = client.post(
        reverse("crossborder:revenue_feed_upload"), {"file": SimpleUploadedFile("big.csv", csv(*lines))}, follow=True
    ).content.decode()
    item = RevenueFeedUpload.objects.get()
    assert item.status == "queued" and item.job_run.status == JobRun.Status.QUEUED and not RevenueEvent.objects.exists()
    assert 'id="feed-progress"' in html and "?part=progress" in html and "being loaded in the background" in html
    celery_worker_factory()
    run = wait_for(
        lambda: (
            JobRun.objects.filter(pk=item.job_run_id).exclude(status__in=(JobRun.Status.QUEUED, JobRun.Status.RUNNING)).first()
        ),
        "the upload's run to finish",
        timeout=180,
    )
    item.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED, run.error_report
    assert (item.status, item.loaded) == ("loaded", 12_000) and RevenueEvent.objects.count() == 12_000
    assert run.progress_done == run.progress_total == 24_000 and run.triggered_by == setup["officer"]
    assert run.counts["loaded"] == 12_000 and imports_of(item) == ["queued", "loaded"]
    progress = client.get(reverse("crossborder:revenue_feed_upload_detail", args=[item.pk]), {"part": "progress"})
    assert progress["HX-Refresh"] == "true"
    page = client.get(reverse("crossborder:revenue_feed_upload_detail", args=[item.pk])).content.decode()
    assert 'id="count-loaded">12000<' in page and 'id="feed-progress"' not in page
    assert feed.UPLOAD_JOB == run.job
