"""End to end in Chromium: the bank's administrator sees a finished job with its counts on
the jobs page and its detail page, and starts a job whose row follows the run live on a
real worker (htmx polling, no page reload) until it has succeeded."""

import datetime

import pytest

from ocrm.audit.models import AuditLog
from ocrm.batch import jobs as jobs
from ocrm.batch.models import JobRun
from sysadmin.audit import services as jobs_services
from sysadmin.audit.tasks import purge_audit_log
from sysadmin.org.models import Staff
from sysadmin.parameters import services as parameters
from tests.conftest import login

pytestmark = pytest.mark.browser

TODAY = jobs.today()


def plant(bank, days_old, n):
    at = datetime.datetime.combine(TODAY, datetime.time(1), tzinfo=datetime.UTC) - datetime.timedelta(days=days_old)
    AuditLog.objects.bulk_create(
        [AuditLog(at=at, bank_id=bank.pk, action=AuditLog.Action.OTHER, object_type="test.browser") for _ in range(n)]
    )


def log_in_admin(page, org):
    Staff.objects.filter(pk=org.admin.pk).update(language="en")
    login(page, "a.admin")
    page.wait_for_selector("#user-menu")


def test_jobs_page_shows_a_finished_job_with_its_counts(page, org):
    parameters.set_value("audit.retention_days", 30, bank=org.bank_a)
    plant(org.bank_a, 31, 12)
    plant(org.bank_a, 29, 3)
    purge_audit_log.run(business_date=TODAY.isoformat(), bank_id=org.bank_a.pk)  # a real run, in this process
    run = JobRun.objects.get()
    log_in_admin(page, org)

    page.goto("/sysadmin/jobs/")
    row = page.locator(f"#job-run-{run.pk}")
    assert row.get_attribute("data-status") == "succeeded"
    assert row.get_attribute("hx-trigger") is None  # a finished run is not polled
    text = row.inner_text()
    assert "Audit-log retention clean-up" in text and "Succeeded" in text and "BKA" in text
    assert row.locator('[data-count="deleted"]').inner_text() == "deleted: 12"
    assert TODAY.isoformat() in text

    row.locator("a").first.click()
    page.wait_for_selector("#job-counts")
    assert page.locator('#job-counts [data-count="deleted"]').inner_text() == "12"
    assert page.locator("#job-attempts").inner_text() == "1"
    assert page.locator(".job-status").inner_text() == "Succeeded"
    assert page.locator("#job-progress-card").get_attribute("hx-trigger") is None


@pytest.mark.worker
def test_a_started_job_is_followed_live_until_it_succeeds(page, org, celery_worker_factory):
    celery_worker_factory(OCRM_BATCH_CHUNK_SIZE="20", OCRM_BATCH_CHUNK_DELAY="0.4")
    parameters.set_value("audit.retention_days", 30, bank=org.bank_a)
    plant(org.bank_a, 31, 300)  # fifteen slow chunks: about six seconds
    log_in_admin(page, org)

    page.goto("/sysadmin/jobs/")
    page.click("#job-start-toggle")
    page.select_option("#id_job", jobs_services.AUDIT_RETENTION)
    page.fill("#id_business_date", TODAY.isoformat())
    page.click("#job-start-submit")
    page.wait_for_selector(".alert-success")
    run = JobRun.objects.get()
    assert run.triggered_by_id == org.admin.pk
    row = page.locator(f"#job-run-{run.pk}")
    assert row.get_attribute("hx-trigger") == "every 2s"
    page.evaluate("window.__sameDocument = true")  # gone if anything reloaded the page

    seen_running_percent = set()
    for _ in range(150):
        status = row.get_attribute("data-status")
        if status == "running":
            bar = row.locator(".job-progress")
            if bar.count():
                seen_running_percent.add(int(bar.get_attribute("aria-valuenow")))
        if status == "succeeded":
            break
        page.wait_for_timeout(200)
    assert row.get_attribute("data-status") == "succeeded"
    assert any(0 < percent < 100 for percent in seen_running_percent), seen_running_percent
    assert page.evaluate("window.__sameDocument") is True
    assert row.locator('[data-count="deleted"]').inner_text() == "deleted: 300"
    assert row.get_attribute("hx-trigger") is None  # finished: polling stopped
