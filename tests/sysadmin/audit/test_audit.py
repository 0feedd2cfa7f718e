"""The audit log: what gets written (admin changes, deletes, exports) and the auditors'
search page (bank isolation, permissions, filters in the user's time zone, query counts)."""

import datetime
import io
import zoneinfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from ocrm.audit.models import AuditLog
from sysadmin.org.models import Branch, Staff
from tests.conftest import login

pytestmark = pytest.mark.django_db

LIST_URL = "/sysadmin/audit/"
UTC = datetime.UTC


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_for(user, ip="10.9.8.7", fresh_log=True):
    """A logged-in client; by default the log is emptied afterwards, so that a test sees
    only its own entries (not those of building the organisation and logging in)."""
    client = Client(REMOTE_ADDR=ip)
    client.cookies["django_language"] = "en"
    client.force_login(user)
    if fresh_log:
        AuditLog.objects.all().delete()
    return client


def entry(bank, action=AuditLog.Action.UPDATE, at=None, **fields):
    fields.setdefault("actor_name", "someone")
    fields.setdefault("object_type", "sysadmin.branch")
    return AuditLog.objects.create(bank_id=bank.pk, action=action, at=at or datetime.datetime.now(UTC), **fields)


def listed_ids(response):
    return sorted(row.record.pk for row in response.context["table"].page.object_list)


# --- who sees what ------------------------------------------------------------------------------


def test_auditor_sees_their_banks_entries_and_never_another_banks(org):
    client = client_for(org.auditor)
    mine = entry(org.bank_a, object_repr="A-SH branch", object_id="1")
    theirs = entry(org.bank_b, object_repr="B-HK branch", object_id="2")

    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert listed_ids(response) == [mine.pk]
    assert "B-HK branch" not in response.content.decode()

    assert client.get(f"{LIST_URL}{mine.pk}/").status_code == 200
    assert client.get(f"{LIST_URL}{theirs.pk}/").status_code == 404
    assert listed_ids(client.get(f"{LIST_URL}?object_id=2")) == []


def test_superuser_sees_every_bank(org, make_staff):
    root = make_staff("root", is_superuser=True, is_staff=True)
    client = client_for(root)
    a, b = entry(org.bank_a), entry(org.bank_b)
    response = client.get(f"{LIST_URL}?action=update")
    assert listed_ids(response) == sorted([a.pk, b.pk])


@pytest.mark.parametrize("role", ["customer_manager", "branch_supervisor", "teller", "product_manager"])
def test_roles_without_the_audit_permission_get_403(org, role):
    target = entry(org.bank_a)
    client = client_for(org.role_users[role])
    assert client.get(LIST_URL).status_code == 403
    assert client.get(f"{LIST_URL}{target.pk}/").status_code == 403
    assert client.get(f"{LIST_URL}?export=xlsx").status_code == 403


def test_anonymous_users_are_sent_to_log_in(org):
    response = Client().get(LIST_URL)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# --- filters -------------------------------------------------------------------------------------------


def test_filters_by_user_action_object_ip_and_text(org):
    client = client_for(org.auditor)
    login = entry(
        org.bank_a,
        AuditLog.Action.LOGIN,
        actor_name="a.mgr.sh",
        object_type="sysadmin.staff",
        object_id="17",
        object_repr="a.mgr.sh Li Lei",
        ip="192.168.1.20",
    )
    failed = entry(
        org.bank_a,
        AuditLog.Action.LOGIN_FAILED,
        actor_name="a.mgr.sh",
        object_type="sysadmin.staff",
        object_id="17",
        object_repr="a.mgr.sh Li Lei",
        ip="192.168.1.99",
    )
    branch = entry(
        org.bank_a,
        AuditLog.Action.UPDATE,
        actor_name="a.admin",
        object_type="sysadmin.branch",
        object_id="17",
        object_repr="A-SH Shanghai",
        ip="192.168.1.20",
    )

    def ids(query):
        response = client.get(f"{LIST_URL}?{query}")
        assert response.status_code == 200
        return listed_ids(response)

    assert ids("user=mgr") == sorted([login.pk, failed.pk])
    assert ids("action=login_failed") == [failed.pk]
    assert ids("object_type=sysadmin.branch") == [branch.pk]
    assert ids("object_type=sysadmin.staff&object_id=17") == sorted([login.pk, failed.pk])
    assert ids("object_id=18") == []
    assert ids("ip=192.168.1.20") == sorted([login.pk, branch.pk])
    assert ids("q=shanghai") == [branch.pk]
    assert ids("user=a.mgr&action=login") == [login.pk]
    # A malformed filter shows an error and no rows, never everything.
    response = client.get(f"{LIST_URL}?ip=not-an-address")
    assert listed_ids(response) == [] and response.context["filter"].errors["ip"]


def test_date_filters_are_the_users_calendar_days(org):
    client = client_for(org.auditor)  # branch A-HO: Asia/Shanghai
    # 23:30 and 00:30 in Shanghai (UTC+8) on either side of local midnight; both on 9 March in UTC.
    late = entry(org.bank_a, at=datetime.datetime(2026, 3, 9, 15, 30, tzinfo=UTC), object_repr="late")
    early = entry(org.bank_a, at=datetime.datetime(2026, 3, 9, 16, 30, tzinfo=UTC), object_repr="early")
    entry(org.bank_a, at=datetime.datetime(2026, 3, 12, 1, 0, tzinfo=UTC), object_repr="later")

    response = client.get(f"{LIST_URL}?date_from=2026-03-10&date_to=2026-03-10")
    assert listed_ids(response) == [early.pk]
    assert "2026-03-10 00:30:00" in response.content.decode()  # shown in the user's zone too
    assert listed_ids(client.get(f"{LIST_URL}?date_to=2026-03-09")) == [late.pk]

    Staff.objects.filter(pk=org.auditor.pk).update(time_zone="Europe/London")
    response = client.get(f"{LIST_URL}?date_from=2026-03-09&date_to=2026-03-09")
    assert listed_ids(response) == sorted([late.pk, early.pk])
    assert "2026-03-09 16:30:00" in response.content.decode()


# --- what is written -------------------------------------------------------------------------------------


def branch_form(branch, **changes):
    data = {
        "bank": branch.bank_id,
        "code": branch.code,
        "name_local": branch.name_local,
        "name_en": branch.name_en,
        "parent": branch.parent_id or "",
        "level": branch.level,
        "country": str(branch.country),
        "timezone": branch.timezone,
        "address": branch.address,
        "working_week": branch.working_week,
        "is_active": "on" if branch.is_active else "",
    }
    data.update(changes)
    return data


def test_admin_change_of_a_branch_is_audited_with_before_and_after(org):
    client = client_for(org.admin, ip="172.16.5.5")
    response = client.post(
        f"/admin/sysadmin/branch/{org.a_ldn.pk}/change/", branch_form(org.a_ldn, name_local="伦敦分行", working_week="123456")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    logged = AuditLog.objects.get(action=AuditLog.Action.UPDATE, object_type="sysadmin.branch")
    assert logged.object_id == str(org.a_ldn.pk) and logged.actor == org.admin and logged.ip == "172.16.5.5"
    assert logged.changes == {"name_local": ["A-LDN 支行", "伦敦分行"], "working_week": ["12345", "123456"]}
    assert logged.bank_id == org.bank_a.pk

    # The auditor finds it and reads before/after per field.
    auditor = client_for(org.auditor, fresh_log=False)
    response = auditor.get(f"{LIST_URL}?object_type=sysadmin.branch&object_id={org.a_ldn.pk}")
    assert listed_ids(response) == [logged.pk]
    assert "name: A-LDN 支行 → 伦敦分行" in response.content.decode()  # the field's label, not its code
    page = auditor.get(f"{LIST_URL}{logged.pk}/").content.decode()
    assert 'data-field="name_local"' in page and "伦敦分行" in page and "A-LDN 支行" in page
    assert "172.16.5.5" in page


def test_admin_delete_of_a_branch_is_audited(org):
    client = client_for(org.admin)
    pk = org.a_ldn.pk
    response = client.post(f"/admin/sysadmin/branch/{pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Branch.objects.filter(pk=pk).exists()
    logged = AuditLog.objects.get(action=AuditLog.Action.DELETE, object_type="sysadmin.branch")
    assert logged.object_id == str(pk) and logged.actor == org.admin and logged.bank_id == org.bank_a.pk
    assert logged.changes["code"] == ["A-LDN", None] and logged.changes["timezone"] == ["Europe/London", None]


def test_export_is_itself_audited_and_holds_only_the_users_rows(org):
    client = client_for(org.auditor)
    entry(org.bank_a, AuditLog.Action.LOGIN, actor_name="a.mgr.sh", at=datetime.datetime(2026, 1, 5, 1, 2, 3, tzinfo=UTC))
    entry(org.bank_b, AuditLog.Action.LOGIN, actor_name="b.mgr.hk")
    response = client.get(f"{LIST_URL}?action=login&export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2  # header + bank A's one log-in
    assert "a.mgr.sh" in rows[1] and "2026-01-05 09:02:03" in rows[1]  # Shanghai time

    exported = AuditLog.objects.get(action=AuditLog.Action.EXPORT)
    assert exported.actor == org.auditor and exported.object_type == "ocrm.auditlog"
    assert exported.detail["rows"] == 1 and "action=login" in exported.detail["query"]
    assert exported.bank_id == org.bank_a.pk


# --- detail and query counts ---------------------------------------------------------------------------------


def test_detail_shows_each_field_before_and_after_and_the_detail(org):
    client = client_for(org.auditor)
    logged = entry(
        org.bank_a,
        AuditLog.Action.UPDATE,
        object_id="5",
        object_repr="A-SH",
        changes={"name_local": ["旧", "新"], "meta": [None, {"k": [1, 2]}]},
        detail={"event": "roles"},
    )
    page = client.get(f"{LIST_URL}{logged.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    rows = page.context["change_rows"]
    assert [r["field"] for r in rows] == ["meta", "name_local"]
    assert rows[1]["before"] == "旧" and rows[1]["after"] == "新" and rows[0]["before"] is None
    assert "roles" in html and "object_type=sysadmin.branch&amp;object_id=5" in html


def test_list_and_detail_queries_do_not_grow_with_rows(org, django_assert_max_num_queries):
    client = client_for(org.auditor)
    for i in range(3):
        entry(org.bank_a, object_id=str(i), changes={"f": [i, i + 1]})
    client.get(LIST_URL)  # warm the parameter cache like any second request
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST_URL).status_code == 200
    for i in range(40):
        entry(org.bank_a, AuditLog.Action.DELETE, object_id=str(i), changes={"f": [i, None], "g": ["x", None]})
    with django_assert_max_num_queries(8):
        response = client.get(LIST_URL)
    assert len(response.context["table"].page.object_list) == 25
    assert response.context["row_range"] == (1, 25, True)
    with CaptureQueriesContext(connection) as many:
        client.get(LIST_URL)
    assert len(many) == len(few)
    # Pages are read, the log is never counted: a COUNT(*) over it would grow with the bank's history.
    assert not [q for q in many.captured_queries if "COUNT(" in q["sql"].upper() and "ocrm_auditlog" in q["sql"]]
    last = client.get(f"{LIST_URL}?page=2")
    assert last.context["row_range"] == (26, 43, False) and len(last.context["table"].page.object_list) == 18

    target = AuditLog.objects.filter(bank_id=org.bank_a.pk).first()
    with django_assert_max_num_queries(7):
        assert client.get(f"{LIST_URL}{target.pk}/").status_code == 200


def test_list_shows_times_in_the_users_zone_with_seconds(org):
    client = client_for(org.auditor)
    at = datetime.datetime(2026, 7, 1, 12, 0, 5, tzinfo=UTC)
    entry(org.bank_a, at=at)
    Staff.objects.filter(pk=org.auditor.pk).update(time_zone="America/New_York")
    html = client.get(LIST_URL).content.decode()
    expected = at.astimezone(zoneinfo.ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M:%S")
    assert expected == "2026-07-01 08:00:05" and expected in html


# --- in the browser ---------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_auditor_filters_and_reads_an_entry_in_the_browser(transactional_db, org, page):
    logged = entry(
        org.bank_a,
        AuditLog.Action.UPDATE,
        actor_name="a.admin",
        object_id=str(org.a_sh.pk),
        object_repr="A-SH 支行",
        changes={"name_local": ["上海旧名", "A-SH 支行"]},
        ip="10.1.1.1",
    )
    entry(org.bank_a, AuditLog.Action.DELETE, actor_name="a.admin", object_repr="A-X removed")
    entry(org.bank_b, AuditLog.Action.UPDATE, actor_name="a.admin", object_repr="B side")
    login(page, "a.auditor")
    page.wait_for_selector("#user-menu")
    page.goto(LIST_URL)
    page.fill("#id_user", "a.admin")
    page.select_option("#id_action", "update")
    page.click("#filter-form button[type=submit]")
    page.wait_for_url("**action=update**")
    rows = page.locator("#audit-table tbody tr")
    assert rows.count() == 1
    assert "名称: 上海旧名 → A-SH 支行" in rows.first.inner_text()  # the field's translated label
    rows.first.locator("a").first.click()
    page.wait_for_selector("#audit-changes")
    assert page.url.endswith(f"{LIST_URL}{logged.pk}/")
    cells = page.locator('#audit-changes tr[data-field="name_local"] td')
    assert cells.nth(0).inner_text().strip() == "上海旧名" and cells.nth(1).inner_text().strip() == "A-SH 支行"
