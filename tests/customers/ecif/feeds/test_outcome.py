"""What a load page tells a person (issue 12, item 5): a load whose every row was rejected is shown
as failed, not as a green success; an uploaded file says who uploaded it, not "from the inbox";
the progress counts rows, not bytes; and the upload limit holds exactly at its value."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.ecif.feeds import services
from customers.ecif.feeds.models import FeedLoad
from ocrm.batch import jobs
from sysadmin.parameters.models import SystemParameter
from tests.customers.ecif.feeds.support import CUSTOMER_HEADER, DAY1, csv_bytes, customer_row, deliver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def page(client, user, name, *args):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def test_a_load_whose_every_row_was_rejected_is_shown_as_failed(org, client):
    rows = [customer_row(f"C{n}", branch_code="NO-SUCH") for n in range(3)]
    load = deliver(org.admin, "customers", csv_bytes(CUSTOMER_HEADER, rows))
    assert (load.status, load.rows_read, load.rows_loaded, load.rows_rejected) == (FeedLoad.Status.LOADED, 3, 0, 3)
    detail = page(client, org.admin, "customers:feed_detail", load.pk)
    assert 'class="badge text-bg-danger" id="feed-status"' in detail.replace("\n", "")
    assert "Nothing loaded: every row was rejected" in detail
    assert 'id="feed-rejects"' in detail and "3 of 3 rows were rejected" in detail
    listing = page(client, org.admin, "customers:feed_list")
    assert "text-bg-danger feed-status" in listing and "text-bg-success feed-status" not in listing


def test_a_load_with_some_rejected_rows_is_amber(org, client):
    rows = [customer_row("C1"), customer_row("C2", branch_code="NO-SUCH")]
    load = deliver(org.admin, "customers", csv_bytes(CUSTOMER_HEADER, rows))
    assert (load.rows_loaded, load.rows_rejected) == (1, 1)
    detail = page(client, org.admin, "customers:feed_detail", load.pk)
    assert "Loaded with rejected rows" in detail and "text-bg-warning" in detail
    clean = deliver(org.admin, "customers", csv_bytes(CUSTOMER_HEADER, [customer_row("C3")]), date=DAY1.replace(day=21))
    assert "text-bg-success feed-status" in page(client, org.admin, "customers:feed_list") and clean.rows_rejected == 0


def test_an_uploaded_file_says_who_uploaded_it(org, client):
    load = deliver(org.admin, "customers", csv_bytes(CUSTOMER_HEADER, [customer_row("C1")]))
    expected = f"uploaded by {org.admin.name_local or org.admin.username}"
    assert f'<span id="feed-delivered-by">{expected}</span>' in page(client, org.admin, "customers:feed_detail", load.pk)
    assert expected in page(client, org.admin, "customers:feed_list")
    # The job of every feed load, uploaded or from the inbox, is named without a delivery path.
    assert str(jobs.JOBS[services.JOB].label) == "Customer feed load"
    assert load.job_run.triggered_by == org.admin


def test_the_progress_counts_rows_not_bytes(org, tmp_path):
    rows = [customer_row(f"C{n}") for n in range(4)]
    content = csv_bytes(CUSTOMER_HEADER, rows)
    assert len(content) > 100  # bytes would show as hundreds
    load = deliver(org.admin, "customers", content)
    run = load.job_run
    assert (run.progress_done, run.progress_total) == (4, 4)
    # The estimate before reading: a file without a line break at its end has as many rows.
    trimmed = tmp_path / "trimmed.csv"
    trimmed.write_bytes(content.rstrip(b"\n"))
    assert services.estimated_rows(services.file_path(load)) == services.estimated_rows(trimmed) == 4


def upload_of_size(size):
    header = csv_bytes(CUSTOMER_HEADER, [])
    row = csv_bytes(CUSTOMER_HEADER, [customer_row("C1")])[len(header) :]
    content = header + row
    return SimpleUploadedFile("c.csv", content + b" " * (size - len(content)))


def test_the_upload_limit_takes_a_file_of_exactly_the_limit_and_refuses_one_byte_more(org):
    SystemParameter.objects.create(bank=org.bank_a, key="import.max_upload_bytes", value_type="int", value="2000")
    at_limit = services.receive_upload(
        org.admin, source_system="CORE", feed="customers", business_date=DAY1, uploaded=upload_of_size(2000)
    )
    assert (at_limit.status, at_limit.file_size, bool(at_limit.file)) == (FeedLoad.Status.QUEUED, 2000, True)
    above = services.receive_upload(
        org.admin, source_system="CORE", feed="customers", business_date=DAY1, uploaded=upload_of_size(2001)
    )
    assert (above.status, above.file_size, bool(above.file)) == (FeedLoad.Status.REJECTED, 2001, False)
    assert above.error.endswith("Send larger feeds through the inbox folder.")


def test_the_upload_page_says_the_limit_before_the_file_is_sent(org, client):
    SystemParameter.objects.create(bank=org.bank_a, key="import.max_upload_bytes", value_type="int", value=str(5 * 1024 * 1024))
    text = page(client, org.admin, "customers:feed_upload")
    assert "At most 5.0 MB on this page; larger feeds arrive through the inbox folder." in text
