"""Exports with personal data in clear (issue 11 #6, issue 12 #12): the list and its ordinary
export are masked for everyone; a clear export needs its own permission that no default role
holds, a reason, and a checker's approval in the approvals inbox; a REAL Celery worker then
writes it, and the file's properties name who asked, who approved and when."""

import io

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from customers.master.models import ContactPoint, IdentityDocument
from ocrm import pii
from ocrm.approvals.models import ChangeRequest
from ocrm.audit.models import AuditLog
from ocrm.lists import background as export_jobs
from ocrm.lists.models import ExportFile
from sysadmin.roles import ROLE_PERMISSIONS
from tests.factories import make_customer
from tests.support.waiting import wait_for

LIST = "customers:list"
RESIDENT_ID = "11010519491231002X"
MOBILE = "+8613812345678"


def as_user(client, user):
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def grant_clear_export(user):
    user.user_permissions.add(Permission.objects.get(content_type__app_label="ocrm", codename="export_clear_pii"))
    user.language = "en"
    user.save(update_fields=["language"])


def make_book(org):
    customer = make_customer("C7001", org.a_sh, org.manager, name_local="王伟", name_latin="Wang Wei")
    document = IdentityDocument(bank_id=customer.bank_id, customer=customer, doc_type="resident_id", issuing_country="CN")
    document.set_number(RESIDENT_ID)
    document.save()
    ContactPoint.objects.create(bank_id=customer.bank_id, customer=customer, kind="mobile", value=MOBILE, is_primary=True)
    make_customer("C7002", org.a_sh, org.manager, name_local="李娜", name_latin="Li Na")
    return customer


def search(client, text):
    """The list's search, posted (issue 11 #4): the URL it lands on carries a token only."""
    response = client.post(reverse(LIST), {"q": text})
    assert response.status_code == 302 and text not in response["Location"]
    return response["Location"]


def test_no_default_role_may_export_in_clear(db):
    holders = Group.objects.filter(permissions__codename="export_clear_pii", permissions__content_type__app_label="ocrm")
    assert set(ROLE_PERMISSIONS) <= set(Group.objects.values_list("name", flat=True))
    assert not holders.exists()  # not even the system administrator's "ocrm.*"
    assert Group.objects.filter(name="branch_supervisor", permissions__codename="approve_clear_export").exists()


@pytest.mark.django_db
def test_a_manager_with_unmask_exports_masked_and_cannot_ask_for_clear(client, org, media):
    make_book(org)
    manager = as_user(client, org.manager)
    assert org.manager.has_perm("customers.unmask_pii") and not org.manager.has_perm(export_jobs.CLEAR_PII_PERM)
    page = manager.get(reverse(LIST)).content.decode()
    assert 'id="export-contents"' in page and "masked" in page  # the page says what the file holds
    assert 'id="clear-export-panel"' not in page
    response = manager.post(reverse(LIST), {"clear_export": "1", "reason": "campaign"})
    assert response.status_code == 403
    assert not ExportFile.objects.exists() and not ChangeRequest.objects.filter(action=export_jobs.CLEAR_EXPORT_ACTION).exists()


def test_a_clear_export_runs_only_after_a_checkers_approval_and_names_both(client, org, media, celery_worker_factory):
    make_book(org)
    grant_clear_export(org.manager)
    celery_worker_factory(MEDIA_ROOT=str(media))
    maker = as_user(client, org.manager)
    list_url = search(maker, "王伟")
    assert 'id="clear-export-panel"' in maker.get(list_url).content.decode()

    # A reason is required; nothing is created without it.
    maker.post(list_url, {"clear_export": "1", "reason": " "})
    assert not ExportFile.objects.exists()
    response = maker.post(list_url, {"clear_export": "1", "reason": "KYC refresh for the branch's review"})
    assert response.status_code == 302 and response["Location"] == reverse(export_jobs.EXPORT_LIST_URL)
    export = ExportFile.objects.get(owner=org.manager)
    assert export.status == ExportFile.Status.AWAITING and export.pii and "q=" in export.query
    request = ChangeRequest.objects.get(action=export_jobs.CLEAR_EXPORT_ACTION, object_id=str(export.pk))
    assert request.maker == org.manager and request.status == ChangeRequest.Status.PENDING
    # Waiting: nothing to download, and the worker leaves it alone.
    assert maker.get(reverse("export_download", args=[export.pk])).status_code == 404
    assert 'data-status="awaiting"' in maker.get(reverse(export_jobs.EXPORT_LIST_URL)).content.decode()

    # The maker cannot approve their own request, even holding the checker permission.
    org.manager.user_permissions.add(Permission.objects.get(codename="approve_clear_export"))
    as_user(client, org.manager).post(reverse("workbench:approve"), {"only": request.pk})
    export.refresh_from_db()
    assert export.status == ExportFile.Status.AWAITING

    # The supervisor approves in the approvals inbox; the worker writes the file in clear.
    checker = as_user(client, org.supervisor)
    assert "Export with personal data in clear" in checker.get(reverse("workbench:inbox")).content.decode()
    checker.post(reverse("workbench:approve"), {"only": request.pk})
    wait_for(lambda: ExportFile.objects.get(pk=export.pk).status == ExportFile.Status.DONE, what="the clear export")
    export.refresh_from_db()
    assert export.approved_by == org.supervisor and export.row_count == 1
    row = as_user(client, org.manager).get(reverse("export_progress", args=[export.pk])).content.decode()
    assert f"approved by {org.supervisor.username}" in row and "PII" in row  # what the file holds, before the download

    response = as_user(client, org.manager).get(reverse("export_download", args=[export.pk]))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["ID number"] == RESIDENT_ID and row["primary phone"] == MOBILE
    properties = workbook.properties
    assert properties.creator == org.manager.username and properties.keywords == "clear-pii"
    assert org.supervisor.username in properties.description and properties.created is not None

    written = AuditLog.objects.get(action=AuditLog.Action.EXPORT, detail__background=True, actor=org.manager)
    assert written.detail["pii"] is True and RESIDENT_ID not in str(written.detail)


@pytest.mark.django_db
def test_a_rejected_clear_export_is_never_written(client, org, media):
    make_book(org)
    grant_clear_export(org.manager)
    maker = as_user(client, org.manager)
    maker.post(search(maker, "王伟"), {"clear_export": "1", "reason": "why not"})
    export = ExportFile.objects.get(owner=org.manager)
    request = ChangeRequest.objects.get(action=export_jobs.CLEAR_EXPORT_ACTION)
    as_user(client, org.supervisor).post(reverse("workbench:reject", args=[request.pk]), {"reason": "no need"})
    export.refresh_from_db()
    assert export.status == ExportFile.Status.REJECTED and not export.file
    # A worker handed it anyway (a forged message) refuses: not approved.
    assert export_jobs.run_export(export.pk).status == ExportFile.Status.REJECTED
    export.status = ExportFile.Status.QUEUED
    export.save(update_fields=["status"])
    assert export_jobs.run_export(export.pk).status == ExportFile.Status.FAILED and not ExportFile.objects.get(pk=export.pk).file


@pytest.mark.django_db
def test_an_ordinary_export_is_masked_and_says_so_in_its_properties(client, org, media):
    make_book(org)
    response = as_user(client, org.supervisor).get(reverse(LIST) + "?export=xlsx")
    assert "no-store" in response["Cache-Control"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    row = next(dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0] == "C7001")
    assert row["ID number"] == pii.mask_id(RESIDENT_ID) and row["primary phone"] == pii.mask_phone(MOBILE)
    assert workbook.properties.creator == org.supervisor.username and workbook.properties.keywords == "masked"
