"""Background list exports ("my exports"): a list export above export.sync_max_rows becomes
an ExportFile that a REAL Celery worker writes as its owner (scope, filter, masking), with
progress, cancellation, owner-only download, audit entries, notification and clean-up."""

import datetime
import io

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from customers.master.models import ContactPoint
from ocrm import pii
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.lists import background as export_jobs
from ocrm.lists.models import ExportFile
from ocrm.notifications.models import Notification
from sysadmin.parameters import services as parameters
from tests.factories import make_customer
from tests.support.waiting import wait_for

LIST = "customers:list"
EXPORTS = "export_list"
PHONE = "+86138000000{:02d}"


def make_people(org, n_sh=8):
    """n_sh customers at A-SH (manager a.mgr.sh), each with a mobile; one at A-BJ; one in bank B."""
    customers = []
    for i in range(n_sh):
        customer = make_customer(f"C9{i:03d}", org.a_sh, org.manager, name_local=f"王{i}", name_latin=f"Wang {i}")
        ContactPoint.objects.create(
            bank_id=customer.bank_id, customer=customer, kind=ContactPoint.Kind.MOBILE, value=PHONE.format(i), is_primary=True
        )
        customers.append(customer)
    customers.append(make_customer("C9900", org.a_bj, org.manager_bj, name_local="李四", name_latin="Li Si"))
    customers.append(make_customer("C9901", org.b_hk, org.b_manager, name_local="陈", name_latin="Chan"))
    return customers


def as_user(client, user):
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def read_xlsx(data):
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def finished(export):
    export.refresh_from_db()
    return not export.is_active


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def start_export(client, user, query=""):
    # The worker writes the file in the owner's language.
    user.language = "en"
    user.save(update_fields=["language"])
    response = as_user(client, user).get(reverse(LIST) + f"?export=xlsx{query}")
    assert response.status_code == 302 and response["Location"] == reverse(EXPORTS), response
    return ExportFile.objects.filter(owner=user).latest("created_at")


# --- on a real worker ------------------------------------------------------------------------------


def test_large_export_runs_in_background_masked_with_progress_and_audit(client, org, media, celery_worker_factory):
    celery_worker_factory(MEDIA_ROOT=str(media))
    make_people(org)
    parameters.set_value("export.sync_max_rows", 5)
    user = org.marketing_manager  # bank scope, may export, may not unmask
    assert user.has_perm("customers.export_customers") and not user.has_perm("customers.unmask_pii")

    export = start_export(client, user, "&kind=retail")
    assert export.url_name == LIST and "kind=retail" in export.query and "export" not in export.query
    assert export.progress_total == 9 and export.pii is False
    wait_for(lambda: finished(export), what="the export")

    assert export.status == ExportFile.Status.DONE, export.error
    assert export.row_count == 9 and export.progress_done == export.progress_total == 9 and export.percent == 100
    # The file is marked done inside the job; its run is closed a moment later.
    run = wait_for(
        lambda: JobRun.objects.filter(pk=export.job_run_id, status__in=[JobRun.Status.SUCCEEDED, JobRun.Status.FAILED]).first(),
        what="the export's run to close",
    )
    assert run.job == export_jobs.JOB_NAME and run.status == JobRun.Status.SUCCEEDED and run.counts["done"] == 1

    # The page shows it done with a download link; the row's poll answers the same.
    page = as_user(client, user).get(reverse(EXPORTS))
    assert page.status_code == 200
    text = page.content.decode()
    assert f'id="export-{export.pk}" data-status="done"' in text
    assert reverse("export_download", args=[export.pk]) in text
    row = client.get(reverse("export_progress", args=[export.pk])).content.decode()
    assert 'data-status="done"' in row and "9 / 9" in row and "hx-trigger" not in row

    response = client.get(reverse("export_download", args=[export.pk]))
    assert response.status_code == 200
    header, rows = read_xlsx(b"".join(response.streaming_content))
    # Bank A's retail customers only (the bank-B namesake is out of scope), phones masked.
    assert sorted(r["customer number"] for r in rows) == [*[f"C9{i:03d}" for i in range(8)], "C9900"]
    first = next(r for r in rows if r["customer number"] == "C9000")
    assert first["primary phone"] == pii.mask_phone(PHONE.format(0))  # a string cell: no apostrophe
    assert not any(PHONE.format(i) in str(rows) for i in range(8))

    written = AuditLog.objects.get(action=AuditLog.Action.EXPORT, actor=user, detail__background=True)
    assert written.detail["rows"] == 9 and "kind=retail" in written.detail["query"] and written.detail["pii"] is False
    assert written.bank_id == org.bank_a.pk
    downloaded = AuditLog.objects.get(action=AuditLog.Action.EXPORT, actor=user, detail__event="download")
    assert downloaded.object_id == str(export.pk) and downloaded.detail["rows"] == 9
    assert Notification.objects.filter(recipient=user, dedupe_key=f"export:{export.pk}").exists()

    # Another user -- even a supervisor of the same bank -- gets 404 on every URL of the export.
    other = as_user(client, org.supervisor)
    for name in ("export_download", "export_progress"):
        assert other.get(reverse(name, args=[export.pk])).status_code == 404
    assert other.post(reverse("export_cancel", args=[export.pk])).status_code == 404
    assert f'id="export-{export.pk}"' not in other.get(reverse(EXPORTS)).content.decode()

    # The user with the unmask permission gets masked values too, in their own scope only (issue 12
    # #12: clear values only in an approved export in clear, tests/ocrm/lists/test_clear_exports.py).
    supervisor_export = start_export(client, org.supervisor)
    wait_for(lambda: finished(supervisor_export), what="the supervisor's export")
    assert supervisor_export.status == ExportFile.Status.DONE and supervisor_export.pii is False
    assert supervisor_export.row_count == 8  # A-SH only: the A-BJ customer lies outside the subtree
    _header, rows = read_xlsx(supervisor_export.file.open("rb").read())
    assert {r["primary phone"] for r in rows} == {pii.mask_phone(PHONE.format(i)) for i in range(8)}


def test_cancelled_before_start_the_worker_writes_nothing(client, org, media, celery_worker_factory):
    make_people(org)
    parameters.set_value("export.sync_max_rows", 5)
    user = org.marketing_manager
    export = start_export(client, user)  # queued: no worker runs yet
    assert export.status == ExportFile.Status.QUEUED
    page = as_user(client, user).get(reverse(EXPORTS)).content.decode()
    assert "hx-trigger" in page and reverse("export_cancel", args=[export.pk]) in page

    assert client.post(reverse("export_cancel", args=[export.pk])).status_code == 302
    export.refresh_from_db()
    assert export.status == ExportFile.Status.CANCELLED

    celery_worker_factory(MEDIA_ROOT=str(media))
    run = wait_for(
        lambda: JobRun.objects.filter(job=export_jobs.JOB_NAME, status=JobRun.Status.SUCCEEDED).first(),
        what="the worker to take the message",
    )
    export.refresh_from_db()
    assert export.status == ExportFile.Status.CANCELLED and not export.file and export.row_count is None
    assert run.counts == {"cancelled": 1}
    assert not AuditLog.objects.filter(action=AuditLog.Action.EXPORT, actor=user).exists()
    assert client.get(reverse("export_download", args=[export.pk])).status_code == 404
    assert AuditLog.objects.filter(
        object_type="ocrm.exportfile", object_id=str(export.pk), detail__event="export_cancelled"
    ).exists()


# --- the service in this process -------------------------------------------------------------------


@pytest.mark.django_db
def test_cancel_stops_a_running_export_at_the_next_chunk(client, org, media):
    make_people(org)
    parameters.set_value("export.sync_max_rows", 5)
    user = org.marketing_manager
    export = start_export(client, user)
    seen = []

    def owner_cancels(current):
        seen.append(ExportFile.objects.get(pk=current.pk).progress_done)
        assert client.post(reverse("export_cancel", args=[current.pk])).status_code == 302

    result = export_jobs.run_export(export.pk, chunk_size=3, after_chunk=owner_cancels)
    assert result.error == "" and seen == [3]  # progress was stored after the first chunk, then the cancel stopped the rest
    assert result.status == ExportFile.Status.CANCELLED and result.progress_done == 3 and result.progress_total == 9
    assert not result.file and not AuditLog.objects.filter(action=AuditLog.Action.EXPORT).exists()


@pytest.mark.django_db
def test_small_exports_stay_synchronous_and_the_cap_still_refuses(client, org, media):
    make_people(org)
    user = org.marketing_manager
    response = as_user(client, user).get(reverse(LIST) + "?export=xlsx")  # 9 rows, default threshold 5000
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert not ExportFile.objects.exists()

    parameters.set_value("export.sync_max_rows", 5)
    parameters.set_value("export.max_rows", 6)
    response = client.get(reverse(LIST) + "?export=xlsx")
    assert response.status_code == 302 and response["Location"].startswith(reverse(LIST))
    assert not ExportFile.objects.exists()


@pytest.mark.django_db
def test_the_worker_refuses_an_owner_who_lost_the_export_permission(client, org, media):
    make_people(org)
    parameters.set_value("export.sync_max_rows", 5)
    user = org.marketing_manager
    export = start_export(client, user)
    user.groups.clear()
    result = export_jobs.run_export(export.pk)
    assert result.status == ExportFile.Status.FAILED and result.error and not result.file
    assert Notification.objects.filter(recipient=user, level=Notification.Level.DANGER).exists()


@pytest.mark.django_db
def test_nightly_clean_up_removes_old_files_only(org, media):
    parameters.set_value("export.keep_days", 3, bank=org.bank_a)
    now = timezone.now()

    def planted(days_old, status=ExportFile.Status.DONE, bank=org.bank_a, owner=org.manager):
        export = ExportFile.objects.create(
            owner=owner,
            bank_id=bank.pk,
            title="t",
            url_name=LIST,
            filename="f",
            status=status,
            created_at=now - datetime.timedelta(days=days_old),
        )
        export.file.save("f.xlsx", ContentFile(b"x"))
        return export

    old, recent, running = planted(4), planted(2), planted(10, status=ExportFile.Status.RUNNING)
    b_old = planted(4, bank=org.bank_b, owner=org.b_manager)  # bank B keeps the default 7 days
    old_path = old.file.path

    assert export_jobs.purge_export_files(now) == 1
    assert set(ExportFile.objects.values_list("pk", flat=True)) == {recent.pk, running.pk, b_old.pk}
    assert not (media / old_path).exists()

    assert PeriodicTask.objects.get(name="Export files clean-up").task == "ocrm.tasks.purge_export_files"


@pytest.mark.django_db
def test_my_exports_page_costs_a_fixed_number_of_queries(client, org, django_assert_max_num_queries):
    def plant(n):
        for _ in range(n):
            ExportFile.objects.create(
                owner=org.manager,
                bank_id=org.bank_a.pk,
                title="Customers",
                url_name=LIST,
                filename="customers",
                status=ExportFile.Status.RUNNING,
                progress_total=10,
            )

    as_user(client, org.manager)
    client.get(reverse(EXPORTS))  # warm the session and the caches
    plant(1)
    with django_assert_max_num_queries(12) as one:
        assert client.get(reverse(EXPORTS)).status_code == 200
    plant(20)
    with django_assert_max_num_queries(len(one.captured_queries)):
        text = client.get(reverse(EXPORTS)).content.decode()
    assert text.count('data-status="running"') == 21 and text.count("hx-trigger") == 21
