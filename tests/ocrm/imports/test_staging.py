"""The pipeline's one staging entry and its one set of limits, as the three users see them:
organisation import, customer batch maintenance and the web upload of a source-system feed."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.ecif.feeds import services as feeds
from customers.ecif.feeds.models import FeedLoad
from customers.maintenance import services as maintenance
from ocrm.audit.models import AuditLog
from ocrm.imports import staging
from sysadmin.imports import services as imports
from sysadmin.parameters.models import SystemParameter

pytestmark = pytest.mark.django_db

LIMIT_TEXT = "The file is 0.0 MB; the largest file accepted is 0.0 MB."


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def small_limit(bank, size=200):
    SystemParameter.objects.create(bank=bank, key="import.max_upload_bytes", value_type="int", value=str(size))


def upload(name, size):
    row = b"A-X,X,CN,Asia/Shanghai\n"
    return SimpleUploadedFile(name, b"code,name_local,country,timezone\n" + row * (size // len(row)))


def test_one_upload_limit_refuses_a_large_file_in_every_pipeline(org, django_capture_on_commit_callbacks):
    small_limit(org.bank_a)
    batch = imports.stage_file(org.bank_a, "branches", upload("branches.csv", 400), org.admin)
    assert (batch.status, batch.error, bool(batch.file)) == ("rejected", LIMIT_TEXT, False)
    batch = maintenance.stage_file(upload("changes.csv", 400), org.supervisor)
    assert (batch.status, batch.error, bool(batch.file)) == ("rejected", LIMIT_TEXT, False)
    with django_capture_on_commit_callbacks() as callbacks:
        load = feeds.receive_upload(
            org.admin,
            source_system="CORE",
            feed="customers",
            business_date=datetime.date(2026, 11, 20),
            uploaded=upload("c.csv", 400),
        )
    assert (load.status, bool(load.file), callbacks) == (FeedLoad.Status.REJECTED, False, [])  # not stored, no job queued
    assert load.error == LIMIT_TEXT + " Send larger feeds through the inbox folder."
    assert AuditLog.objects.filter(
        action=AuditLog.Action.IMPORT, object_type="customers.feedload", detail__event="rejected"
    ).exists()
    # Another bank keeps the default (20 MB): the same file is staged there.
    assert imports.stage_file(org.bank_b, "branches", upload("b.csv", 400), org.b_admin).status == "validated"


def test_the_feed_upload_page_says_why_a_large_file_was_refused(org, client):
    small_limit(org.bank_a)
    client.force_login(org.admin)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("customers:feed_upload"),
        {"source_system": "CORE", "feed": "customers", "business_date": "2026-11-20", "file": upload("c.csv", 400)},
        follow=True,
    )
    load = FeedLoad.objects.get()
    assert response.redirect_chain[-1][0] == reverse("customers:feed_detail", args=[load.pk])
    html = response.content.decode()
    assert "The file was rejected: " + LIMIT_TEXT in html and 'id="feed-file-error"' in html
    assert "The file was rejected as a whole; nothing was written." in html


def test_staging_keeps_the_rows_and_counts_and_audits_once(org):
    content = b"code,name_local,country,timezone\nA-X,X,CN,Asia/Shanghai\nA-Y,Y,CN,Mars/Base\n"
    batch = imports.stage_file(org.bank_a, "branches", SimpleUploadedFile("b.csv", content), org.admin)
    assert (batch.total_rows, batch.valid_rows, batch.invalid_rows, batch.columns) == (
        2,
        1,
        1,
        ["code", "name_local", "country", "timezone"],
    )
    assert batch.file.read() == content
    assert [row[:3] for row in staging.error_rows(batch)] == [(3, "timezone", "Mars/Base")]
    entry = AuditLog.objects.get(action=AuditLog.Action.IMPORT, object_id=str(batch.pk))
    assert entry.detail["step"] == "staged" and entry.detail["invalid"] == 1 and entry.detail["kind"] == "branches"
