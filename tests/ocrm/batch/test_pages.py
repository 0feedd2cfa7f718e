"""The jobs page: who sees which runs, live progress (htmx row / card, JSON), the
detail page, "run now", filters, export and bounded queries."""

import datetime
import io

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ocrm.audit.models import AuditLog
from ocrm.batch import jobs
from ocrm.batch.models import JobRun
from ocrm.batch.tables import JobRunTable
from ocrm.batch.views import runs_for
from sysadmin.accounts import jobs as password_jobs
from sysadmin.audit import services as jobs_services
from sysadmin.imports import inbox as imports_inbox
from tests.ocrm.batch.operators import platform_operator

pytestmark = pytest.mark.django_db

TODAY = jobs.today()
LIST_URL = "/sysadmin/jobs/"


def as_user(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def make_run(bank=None, job=jobs_services.AUDIT_RETENTION, status=JobRun.Status.SUCCEEDED, business_date=TODAY, **extra):
    now = timezone.now()
    defaults = {
        "started_at": now - datetime.timedelta(seconds=75),
        "finished_at": now if status in (JobRun.Status.SUCCEEDED, JobRun.Status.FAILED) else None,
        "attempts": 1,
        "counts": {"deleted": 42} if status == JobRun.Status.SUCCEEDED else {},
    }
    defaults.update(extra)
    return JobRun.objects.create(
        job=job,
        bank_id=getattr(bank, "pk", bank),
        business_date=business_date,
        status=status,
        key=f"{job}|{getattr(bank, 'pk', '')}|{business_date}|",
        **defaults,
    )


def listed_ids(response):
    assert response.status_code == 200, response.status_code
    return {row.record.pk for row in response.context["table"].page.object_list}


def test_runs_are_listed_by_bank_scope(client, org):
    a_run, b_run, all_banks = make_run(org.bank_a), make_run(org.bank_b), make_run(None)
    # A bank sees its own runs only: the all-banks run adds up every bank's counts (finding 11.15).
    assert listed_ids(as_user(client, org.admin).get(LIST_URL)) == {a_run.pk}
    assert listed_ids(as_user(client, org.supervisor).get(LIST_URL)) == {a_run.pk}
    assert listed_ids(as_user(client, org.b_admin).get(LIST_URL)) == {b_run.pk}
    assert listed_ids(as_user(client, platform_operator()).get(LIST_URL)) == {a_run.pk, b_run.pk, all_banks.pk}
    # Another bank's run, and the all-banks run, answer 404 everywhere.
    as_user(client, org.admin)
    for name in ("jobs:detail", "jobs:progress"):
        assert client.get(reverse(name, args=[b_run.pk])).status_code == 404
        assert client.get(reverse(name, args=[all_banks.pk])).status_code == 404
        assert client.get(reverse(name, args=[a_run.pk])).status_code == 200


def test_staff_without_view_jobs_are_refused(client, org):
    run = make_run(org.bank_a)
    as_user(client, org.manager)
    assert client.get(LIST_URL).status_code == 403
    assert client.get(reverse("jobs:detail", args=[run.pk])).status_code == 403
    assert client.get(reverse("jobs:progress", args=[run.pk])).status_code == 403
    client.logout()
    for url in (LIST_URL, reverse("jobs:detail", args=[run.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_shows_status_progress_counts_and_attempts(client, org):
    make_run(org.bank_a, counts={"deleted": 1200, "banks": 2}, attempts=2, progress_done=1200, progress_total=1200)
    html = as_user(client, org.admin).get(LIST_URL).content.decode()
    assert "Audit-log retention clean-up" in html
    assert 'data-status="succeeded"' in html and "Succeeded" in html
    assert 'data-count="deleted">deleted: 1200' in html and 'data-count="banks">banks: 2' in html
    assert "0:01:15" in html  # duration
    assert "BKA" in html
    assert "hx-get" not in html  # nothing to poll: every run has finished


def test_running_rows_poll_and_finished_rows_stop(client, org):
    running = make_run(org.bank_a, status=JobRun.Status.RUNNING, progress_done=30, progress_total=120, counts={"deleted": 30})
    as_user(client, org.admin)
    html = client.get(LIST_URL).content.decode()
    progress_url = reverse("jobs:progress", args=[running.pk])
    assert f'hx-get="{progress_url}"' in html and 'hx-trigger="every 2s"' in html

    row = client.get(progress_url, HTTP_HX_REQUEST="true").content.decode()
    assert row.startswith(f'<tr id="job-run-{running.pk}"') and 'hx-trigger="every 2s"' in row
    assert 'aria-valuenow="25"' in row and "30 / 120" in row

    JobRun.objects.filter(pk=running.pk).update(
        status=JobRun.Status.SUCCEEDED, finished_at=timezone.now(), progress_done=120, counts={"deleted": 120}
    )
    row = client.get(progress_url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in row and 'data-status="succeeded"' in row and "deleted: 120" in row

    data = client.get(progress_url).json()
    assert data["status"] == "succeeded" and data["percent"] == 100 and data["counts"] == {"deleted": 120}
    assert data["active"] is False and data["attempts"] == 1


def test_detail_shows_counts_error_report_and_every_banks_sub_runs_to_the_operator(client, org):
    outer = make_run(None, counts={"deleted_without_bank": 3, "banks": 2})
    sub_a = make_run(org.bank_a, counts={"deleted": 9})
    sub_b = make_run(
        org.bank_b, status=JobRun.Status.FAILED, error_report="The disk is full.", error_trace="Traceback: /srv/ocrm/x.py"
    )
    as_user(client, platform_operator())
    html = client.get(reverse("jobs:detail", args=[outer.pk])).content.decode()
    assert 'data-count="deleted_without_bank">3' in html and "All banks" in html
    assert f'href="/sysadmin/jobs/{sub_a.pk}/"' in html and f'href="/sysadmin/jobs/{sub_b.pk}/"' in html
    html = client.get(reverse("jobs:detail", args=[sub_b.pk])).content.decode()
    assert "The disk is full." in html and 'id="job-error-trace"' in html and "/srv/ocrm/x.py" in html

    # The bank's administrator reads the reason, never the traceback (issue 12.2).
    as_user(client, org.b_admin)
    html = client.get(reverse("jobs:detail", args=[sub_b.pk])).content.decode()
    assert 'id="job-error-report"' in html and "The disk is full." in html
    assert "Traceback" not in html and "/srv/ocrm" not in html and 'id="job-error-trace"' not in html


def test_detail_polls_while_running_and_reloads_once_finished(client, org):
    run = make_run(org.bank_a, status=JobRun.Status.RUNNING)
    as_user(client, org.admin)
    html = client.get(reverse("jobs:detail", args=[run.pk])).content.decode()
    assert f'hx-get="/sysadmin/jobs/{run.pk}/progress/?part=detail"' in html
    card = client.get(f"/sysadmin/jobs/{run.pk}/progress/?part=detail", HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in card and 'id="job-progress-card"' in card.content.decode()
    JobRun.objects.filter(pk=run.pk).update(status=JobRun.Status.FAILED, finished_at=timezone.now())
    card = client.get(f"/sysadmin/jobs/{run.pk}/progress/?part=detail", HTTP_HX_REQUEST="true")
    assert card["HX-Refresh"] == "true"


def test_filters_by_job_status_and_business_date(client, org):
    old = make_run(org.bank_a, business_date=TODAY - datetime.timedelta(days=10))
    failed = make_run(org.bank_a, status=JobRun.Status.FAILED)
    notices = make_run(org.bank_a, job=password_jobs.PASSWORD_EXPIRY_NOTICES)
    as_user(client, org.admin)
    assert listed_ids(client.get(LIST_URL + "?status=failed")) == {failed.pk}
    assert listed_ids(client.get(LIST_URL + f"?job={password_jobs.PASSWORD_EXPIRY_NOTICES}")) == {notices.pk}
    since = (TODAY - datetime.timedelta(days=1)).isoformat()
    assert listed_ids(client.get(LIST_URL + f"?date_from={since}")) == {failed.pk, notices.pk}
    assert listed_ids(client.get(LIST_URL + f"?date_to={since}")) == {old.pk}


def test_export_writes_the_visible_runs(client, org):
    make_run(org.bank_a, counts={"deleted": 7})
    make_run(org.bank_b)
    response = as_user(client, org.admin).get(LIST_URL + "?export=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert len(rows) == 2  # header + bank A's run only
    assert "deleted: 7" in rows[1] and "Succeeded" in rows[1] and "BKA" in rows[1]
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, object_type="ocrm.jobrun").exists()


def test_queries_do_not_grow_with_rows(client, org, django_assert_max_num_queries):
    for i in range(60):
        make_run(org.bank_a if i % 2 else None, triggered_by=org.admin, business_date=TODAY - datetime.timedelta(days=i))
    as_user(client, org.admin)
    client.get(LIST_URL)  # warm the session and permission caches like any later page
    with django_assert_max_num_queries(9):  # 7 today: user, branch, 2 x permissions, 2 x count, page
        response = client.get(LIST_URL)
    assert len(response.context["table"].page.object_list) == 25
    outer = JobRun.objects.filter(bank_id__isnull=True).first()
    as_user(client, platform_operator())
    client.get(reverse("jobs:detail", args=[outer.pk]))  # warm the operator's caches too
    with django_assert_max_num_queries(8):
        assert client.get(reverse("jobs:detail", args=[outer.pk])).status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(reverse("jobs:progress", args=[outer.pk]), HTTP_HX_REQUEST="true").status_code == 200


# --- run now ----------------------------------------------------------------------------------


def test_admin_starts_a_job_for_a_business_date(client, org, django_capture_on_commit_callbacks):
    as_user(client, org.admin)
    assert 'id="job-start-form"' in client.get(LIST_URL).content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("jobs:start"),
            {"job": password_jobs.PASSWORD_EXPIRY_NOTICES, "business_date": TODAY.isoformat(), "bank": org.bank_b.pk},
        )
    assert response.status_code == 302 and len(callbacks) == 1
    run = JobRun.objects.get()
    assert (run.job, run.bank_id, run.status, run.triggered_by) == (
        password_jobs.PASSWORD_EXPIRY_NOTICES,
        org.bank_a.pk,
        JobRun.Status.QUEUED,
        org.admin,
    )
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any(f"run #{run.pk}" in m for m in messages)


def test_start_refuses_future_dates_and_users_without_the_permission(client, org):
    as_user(client, org.admin)
    tomorrow = (jobs.today(org.bank_a.pk) + datetime.timedelta(days=1)).isoformat()  # at the admin's head office
    response = client.post(reverse("jobs:start"), {"job": jobs_services.AUDIT_RETENTION, "business_date": tomorrow}, follow=True)
    assert "cannot lie in the future" in response.content.decode()
    response = client.post(reverse("jobs:start"), {"job": imports_inbox.JOB, "business_date": TODAY}, follow=True)
    assert any("valid choice" in str(m) for m in response.context["messages"])  # not a startable job
    assert JobRun.objects.count() == 0

    # The auditor and the supervisor see runs but may not start them.
    for user in (org.auditor, org.supervisor):
        as_user(client, user)
        assert 'id="job-start-form"' not in client.get(LIST_URL).content.decode()
        response = client.post(reverse("jobs:start"), {"job": jobs_services.AUDIT_RETENTION, "business_date": TODAY})
        assert response.status_code == 403
    assert JobRun.objects.count() == 0


def test_table_renders_without_queries_per_row(org, django_assert_num_queries):
    make_run(org.bank_a)

    runs = list(runs_for(org.admin))
    with django_assert_num_queries(0):
        table = JobRunTable(runs)
        for row in table.rows:
            [str(cell) for _column, cell in row.items()]


def test_run_now_offers_the_last_ended_business_date_of_the_bank(client, org):
    """Issue 12.1: the form defaulted to today, which the nightly jobs refuse ("has not ended yet")."""
    as_user(client, org.b_admin)
    form = client.get(LIST_URL).context["start_form"]
    yesterday_in_hong_kong = jobs.today(org.bank_b.pk) - datetime.timedelta(days=1)
    assert form["business_date"].value() == yesterday_in_hong_kong == jobs.last_ended_business_date(org.bank_b.pk)
    assert f'value="{yesterday_in_hong_kong.isoformat()}"' in client.get(LIST_URL).content.decode()
