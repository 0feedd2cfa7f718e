"""Branch and staff pages: scope per role, 404 outside it, filters, sort, pagination,
XLSX export, bounded queries, time zones narrowed by country, role grants and audit."""

import datetime
import io
import re

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from sysadmin.org import services as org_services
from sysadmin.org.models import Branch, Holiday, Staff
from sysadmin.org.tables import weekday_names
from tests.conftest import login
from tests.factories import make_branch, make_staff

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Initial-Pass-2031!"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """build_org hashes a dozen passwords per test; the hashing cost is not under test here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def as_user(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # assertions below read English labels
    return client


def listed(response, attr):
    assert response.status_code == 200, response.status_code
    return [getattr(row.record, attr) for row in response.context["table"].page.object_list]


def branch_codes(client, user, query=""):
    return listed(as_user(client, user).get(reverse("sysadmin:branch_list") + query), "code")


def usernames(client, user, query=""):
    return listed(as_user(client, user).get(reverse("sysadmin:staff_list") + query), "username")


def quick_staff(username, branch, roles=()):
    """A staff member without a password hash (hashing is slow and irrelevant to these tests)."""
    staff = Staff(username=username, bank=branch.bank, branch=branch, name_local=username)
    staff.set_unusable_password()
    staff.save()
    staff.groups.add(*Group.objects.filter(name__in=roles))
    return staff


def options_of(html):
    return re.findall(r'<option value="([^"]*)"', html)


def branch_post_data(branch, **changes):
    data = {
        "code": branch.code,
        "name_local": branch.name_local,
        "name_en": branch.name_en,
        "parent": branch.parent_id or "",
        "level": branch.level,
        "country": str(branch.country),
        "timezone": branch.timezone,
        "address": branch.address,
        "working_week": list(branch.working_week),
        "is_active": "on" if branch.is_active else "",
    }
    data.update(changes)
    return data


def staff_post_data(staff, **changes):
    data = {
        "username": staff.username,
        "employee_no": staff.employee_no,
        "name_local": staff.name_local,
        "first_name": staff.first_name,
        "last_name": staff.last_name,
        "email": staff.email,
        "phone": staff.phone,
        "branch": staff.branch_id,
        "language": staff.language,
        "time_zone": staff.time_zone,
        "status": staff.status,
        "roles": list(staff.groups.values_list("name", flat=True)),
    }
    data.update(changes)
    return data


# --- lists per role --------------------------------------------------------------------


def test_branch_list_follows_each_roles_scope(client, org):
    bank_a = ["A-BJ", "A-CN", "A-GB", "A-HO", "A-LDN", "A-SH", "A-SH-1"]
    assert sorted(branch_codes(client, org.admin)) == bank_a
    assert sorted(branch_codes(client, org.auditor)) == bank_a
    assert sorted(branch_codes(client, org.supervisor)) == ["A-SH", "A-SH-1"]
    assert sorted(branch_codes(client, org.b_admin)) == ["B-HK", "B-HO"]
    # Decision: managers and tellers (no browsing scope) see the branch they work in, nothing more.
    assert branch_codes(client, org.manager) == ["A-SH"]
    assert branch_codes(client, org.manager_bj) == ["A-BJ"]
    assert branch_codes(client, org.teller) == ["A-SH"]


def test_branch_list_shows_tree_order_level_and_counts(client, org):
    Staff.objects.filter(pk=quick_staff("a.left", org.a_sh).pk).update(status=Staff.Status.LEFT)
    response = as_user(client, org.admin).get(reverse("sysadmin:branch_list"))
    records = [row.record for row in response.context["table"].page.object_list]
    # Default order is the tree (materialised path): every branch comes after its parent,
    # and each subtree is one unbroken run of rows.
    position = {b.pk: i for i, b in enumerate(records)}
    assert all(position[b.parent_id] < position[b.pk] for b in records if b.parent_id)
    for branch in records:
        rows = [i for i, b in enumerate(records) if b.path.startswith(branch.path)]
        assert rows == list(range(rows[0], rows[0] + len(rows)))
    html = response.content.decode()
    assert "└" in html  # indented below the head office
    counts = {b.code: b.staff_count for b in records}
    # A-SH: supervisor, manager, teller; the member who left the bank is not counted.
    assert counts["A-SH"] == 3 and counts["A-HO"] == 5 and counts["A-LDN"] == 0
    assert "Mon–Fri" in html
    assert "Europe/London" in html and "United Kingdom" in html


def test_staff_list_follows_each_roles_scope(client, org):
    bank_a = set(Staff.objects.filter(bank=org.bank_a).values_list("username", flat=True))
    assert set(usernames(client, org.admin, "?per_page=100")) == bank_a
    assert set(usernames(client, org.supervisor)) == {"a.sup.sh", "a.mgr.sh", "a.mgr.sh1", "a.teller"}
    assert set(usernames(client, org.b_admin)) == {"b.admin", "b.mgr.hk", "b.sup.hk"}
    assert usernames(client, org.manager) == []  # own scope: no staff of their own to browse
    as_user(client, org.teller)
    assert client.get(reverse("sysadmin:staff_list")).status_code == 403  # tellers hold no view_staff


def test_staff_list_shows_roles_and_lock_badge(client, org):
    Staff.objects.filter(pk=org.teller.pk).update(locked_at=timezone.now())
    html = as_user(client, org.supervisor).get(reverse("sysadmin:staff_list")).content.decode()
    assert "Branch supervisor" in html and "Customer manager" in html and "Teller" in html
    assert html.count("bi-lock-fill") == 1


def test_anonymous_visitors_go_to_log_in(client, org):
    for name in ("sysadmin:branch_list", "sysadmin:staff_list", "sysadmin:branch_create"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_pages_without_the_permission_answer_403(client, org):
    as_user(client, org.manager)
    assert client.get(reverse("sysadmin:branch_create")).status_code == 403
    assert client.get(reverse("sysadmin:branch_edit", args=[org.a_sh.pk])).status_code == 403
    assert client.get(reverse("sysadmin:staff_create")).status_code == 403
    assert client.get(reverse("sysadmin:branch_timezones") + "?country=GB").status_code == 403
    as_user(client, org.supervisor)  # change_staff, but no add_staff and no change_branch
    assert client.get(reverse("sysadmin:staff_create")).status_code == 403
    assert client.get(reverse("sysadmin:branch_edit", args=[org.a_sh.pk])).status_code == 403
    as_user(client, org.manager)
    assert client.post(reverse("sysadmin:staff_unlock", args=[org.manager_sub.pk])).status_code == 403


# --- 404 outside the scope --------------------------------------------------------------


@pytest.mark.parametrize(
    "user_attr, branch_attr",
    [
        ("supervisor", "a_bj"),
        ("supervisor", "a_cn"),
        ("supervisor", "b_hk"),
        ("admin", "b_hk"),
        ("admin", "b_ho"),
        ("b_admin", "a_ho"),
        ("manager", "a_bj"),
        ("manager", "a_sh_sub"),
    ],
)
def test_branch_outside_scope_is_404(client, org, user_attr, branch_attr):
    as_user(client, getattr(org, user_attr))
    branch = getattr(org, branch_attr)
    assert client.get(reverse("sysadmin:branch_detail", args=[branch.pk])).status_code == 404
    response = client.get(reverse("sysadmin:branch_edit", args=[branch.pk]))
    assert response.status_code == (403 if user_attr in ("supervisor", "manager") else 404)


@pytest.mark.parametrize(
    "user_attr, staff_attr",
    [
        ("supervisor", "manager_bj"),
        ("supervisor", "admin"),
        ("supervisor", "b_manager"),
        ("admin", "b_manager"),
        ("b_admin", "manager"),
    ],
)
def test_staff_outside_scope_is_404(client, org, user_attr, staff_attr):
    as_user(client, getattr(org, user_attr))
    staff = getattr(org, staff_attr)
    Staff.objects.filter(pk=staff.pk).update(locked_at=timezone.now())
    assert client.get(reverse("sysadmin:staff_detail", args=[staff.pk])).status_code == 404
    assert client.get(reverse("sysadmin:staff_edit", args=[staff.pk])).status_code == 404
    assert client.post(reverse("sysadmin:staff_edit", args=[staff.pk]), staff_post_data(staff)).status_code == 404
    assert client.post(reverse("sysadmin:staff_unlock", args=[staff.pk])).status_code == 404
    staff.refresh_from_db()
    assert staff.locked_at is not None


def test_own_branch_is_visible_to_a_manager_but_not_editable(client, org):
    as_user(client, org.manager)
    response = client.get(reverse("sysadmin:branch_detail", args=[org.a_sh.pk]))
    assert response.status_code == 200
    assert response.context["may_edit"] is False
    assert "edit-branch" not in response.content.decode()
    # Their branch's page lists no staff: staff scope is not widened.
    assert list(response.context["staff_table"].page.object_list) == []


def test_service_edit_rechecks_scope(org):
    with pytest.raises(NotVisible):
        org_services.save_branch(
            branch_post_data(org.a_ldn, parent=org.a_gb, working_week="12345"), org.b_admin, branch=org.a_ldn
        )
    data = {"branch": org.b_hk, "username": org.manager_bj.username, "status": "active"}
    with pytest.raises(NotVisible):
        org_services.save_staff(data, org.b_admin, staff=org.manager_bj)
    with pytest.raises(NotVisible):
        org_services.unlock_visible_staff(org.manager_bj.pk, org.supervisor)


# --- filters, sort, pagination -------------------------------------------------------------


def test_branch_filters(client, org):
    Branch.objects.filter(pk=org.a_bj.pk).update(is_active=False)
    assert branch_codes(client, org.admin, "?q=ldn") == ["A-LDN"]
    assert sorted(branch_codes(client, org.admin, "?q=SH")) == ["A-SH", "A-SH-1"]
    assert sorted(branch_codes(client, org.admin, "?level=region")) == ["A-CN", "A-GB"]
    assert sorted(branch_codes(client, org.admin, "?country=GB")) == ["A-GB", "A-LDN"]
    assert sorted(branch_codes(client, org.admin, f"?subtree={org.a_cn.code}")) == ["A-BJ", "A-CN", "A-SH", "A-SH-1"]
    assert branch_codes(client, org.admin, "?is_active=false") == ["A-BJ"]
    assert "A-BJ" not in branch_codes(client, org.admin, "?is_active=true")
    # A branch outside the scope is not a valid filter value: nothing is listed.
    assert branch_codes(client, org.supervisor, f"?subtree={org.a_bj.code}") == []
    page = as_user(client, org.supervisor).get(reverse("sysadmin:branch_list") + f"?subtree={org.a_bj.code}")
    assert "No branch with this code is within your scope." in page.content.decode()
    # The country filter offers only countries of visible branches.
    form = as_user(client, org.supervisor).get(reverse("sysadmin:branch_list")).context["filter"].form
    assert [c for c, _label in form.fields["country"].choices if c] == ["CN"]


def test_staff_filters(client, org):
    Staff.objects.filter(pk=org.manager_sub.pk).update(locked_at=timezone.now())
    Staff.objects.filter(pk=org.teller.pk).update(status=Staff.Status.ON_LEAVE)
    assert usernames(client, org.supervisor, "?role=teller") == ["a.teller"]
    assert usernames(client, org.supervisor, f"?branch={org.a_sh_sub.code}") == ["a.mgr.sh1"]
    assert sorted(usernames(client, org.admin, f"?branch={org.a_cn.code}&role=customer_manager")) == [
        "a.mgr.bj",
        "a.mgr.sh",
        "a.mgr.sh1",
    ]
    assert usernames(client, org.supervisor, "?status=on_leave") == ["a.teller"]
    assert usernames(client, org.supervisor, "?locked=true") == ["a.mgr.sh1"]
    assert "a.mgr.sh1" not in usernames(client, org.supervisor, "?locked=false")
    assert usernames(client, org.supervisor, "?q=mgr.sh1") == ["a.mgr.sh1"]
    assert usernames(client, org.supervisor, f"?branch={org.a_bj.code}") == []


def test_sorting(client, org):
    codes = branch_codes(client, org.admin, "?sort=-code")
    assert codes == sorted(codes, reverse=True) and len(codes) == 7
    by_count = branch_codes(client, org.admin, "?sort=-staff_count")
    assert by_count[0] == "A-HO"
    names = usernames(client, org.supervisor, "?sort=-username")
    assert names == sorted(names, reverse=True) and len(names) == 4
    by_branch = usernames(client, org.supervisor, "?sort=branch")
    assert by_branch[-1] == "a.mgr.sh1"  # A-SH-1 sorts after A-SH


def test_pagination(client, org):
    for i in range(30):
        make_branch(org.bank_a, f"A-P{i:02d}", org.a_ldn, country="GB", tz="Europe/London")
    first = branch_codes(client, org.admin)
    second = branch_codes(client, org.admin, "?page=2")
    assert len(first) == 25 and len(second) == 12
    assert not set(first) & set(second)
    response = client.get(reverse("sysadmin:branch_list"))
    assert response.context["table"].paginator.count == 37


# --- export -----------------------------------------------------------------------------------


def read_xlsx(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_staff_export_is_scoped_audited_and_without_password_hashes(client, org):
    response = as_user(client, org.supervisor).get(reverse("sysadmin:staff_list") + "?export=xlsx&sort=username")
    rows = read_xlsx(response)
    header, body = rows[0], rows[1:]
    assert header[:5] == ["user name", "employee number", "name", "branch", "roles"]
    assert "locked" in header and "password last changed" in header
    assert [r[0] for r in body] == ["a.mgr.sh", "a.mgr.sh1", "a.sup.sh", "a.teller"]
    roles = {r[0]: r[4] for r in body}
    assert roles["a.sup.sh"] == "Branch supervisor"
    hashes = set(Staff.objects.values_list("password", flat=True))
    for row in rows:
        for cell in row:
            assert cell not in hashes
            assert not str(cell or "").startswith(("pbkdf2_", "argon2", "bcrypt"))
    entry = AuditLog.objects.get(action=AuditLog.Action.EXPORT, object_type="sysadmin.staff")
    assert entry.actor == org.supervisor and entry.detail["rows"] == 4 and entry.bank_id == org.bank_a.pk


def test_branch_export_follows_the_filter(client, org):
    rows = read_xlsx(as_user(client, org.admin).get(reverse("sysadmin:branch_list") + "?export=xlsx&country=GB"))
    header, body = rows[0], rows[1:]
    assert header == [
        "code",
        "name",
        "English name",
        "level",
        "parent branch",
        "country",
        "time zone",
        "local time",
        "working week",
        "active",
        "staff",
    ]
    assert [(r[0], r[4], r[5], r[6], r[8]) for r in body] == [
        ("A-GB", "A-HO", "United Kingdom", "Europe/London", "Mon–Fri"),
        ("A-LDN", "A-GB", "United Kingdom", "Europe/London", "Mon–Fri"),
    ]
    assert body[0][1] == "A-GB 支行"  # the plain name, without the tree indentation markup
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, object_type="sysadmin.branch", actor=org.admin).count() == 1


# --- bounded queries ----------------------------------------------------------------------------


def count_queries(client, url):
    client.get(url)  # warm the parameter and content-type caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_rows(client, org, django_assert_max_num_queries):
    as_user(client, org.admin)
    branch_url, staff_url = reverse("sysadmin:branch_list"), reverse("sysadmin:staff_list")
    for i in range(5):
        branch = make_branch(org.bank_a, f"A-Q{i:02d}", org.a_sh)
        quick_staff(f"q.staff{i:02d}", branch, roles=["customer_manager", "teller"])
    few = count_queries(client, branch_url), count_queries(client, staff_url)
    for i in range(5, 50):
        branch = make_branch(org.bank_a, f"A-Q{i:02d}", org.a_sh)
        quick_staff(f"q.staff{i:02d}", branch, roles=["customer_manager", "teller"])
    many = count_queries(client, branch_url), count_queries(client, staff_url)
    assert few == many
    with django_assert_max_num_queries(15):
        client.get(branch_url + "?per_page=100")
    with django_assert_max_num_queries(15):
        client.get(staff_url + "?per_page=100")


def test_detail_queries_do_not_grow_with_rows(client, org, django_assert_max_num_queries):
    as_user(client, org.admin)
    branch_url = reverse("sysadmin:branch_detail", args=[org.a_ldn.pk])
    staff_url = reverse("sysadmin:staff_detail", args=[org.manager.pk])
    today = timezone.now().date()

    def add(start, stop):
        for i in range(start, stop):
            quick_staff(f"ldn.{i:02d}", org.a_ldn, roles=["customer_manager"])
            make_branch(org.bank_a, f"A-LDN-{i:02d}", org.a_ldn, country="GB", tz="Europe/London", level=Branch.Level.SUB_BRANCH)
            Holiday.objects.create(
                bank=org.bank_a, country="GB", date=today + datetime.timedelta(days=i + 1), name=f"holiday {i}"
            )
            AuditLog.objects.create(
                action=AuditLog.Action.OTHER,
                object_type="sysadmin.staff",
                object_id=str(org.manager.pk),
                bank_id=org.bank_a.pk,
                changes={"n": [i, i + 1]},
            )

    add(0, 5)
    few = count_queries(client, branch_url), count_queries(client, staff_url)
    add(5, 50)
    many = count_queries(client, branch_url), count_queries(client, staff_url)
    assert few == many
    with django_assert_max_num_queries(20):
        response = client.get(branch_url)
    assert len(response.context["holidays"]) == 10
    assert response.context["staff_table"].paginator.count == 50
    with django_assert_max_num_queries(20):
        response = client.get(staff_url)
    assert len(response.context["audit_entries"]) == 20


# --- branch detail, time zones ------------------------------------------------------------------


def test_branch_detail_shows_local_time_and_working_day(client, org):
    Branch.objects.filter(pk=org.a_ldn.pk).update(working_week="1234567")
    as_user(client, org.admin)
    url = reverse("sysadmin:branch_detail", args=[org.a_ldn.pk])
    response = client.get(url)
    local_today = timezone.now().astimezone(org.a_ldn.tzinfo).date()
    assert response.context["local_today"] == local_today
    assert response.context["is_working_day"] is True
    assert "GMT" in response.context["local_time"] or "BST" in response.context["local_time"]
    Holiday.objects.create(bank=org.bank_a, country="GB", date=local_today, name="Bank holiday")
    Holiday.objects.create(bank=org.bank_a, country="CN", date=local_today + datetime.timedelta(days=1), name="CN only")
    response = client.get(url)
    assert response.context["is_working_day"] is False
    assert [h.name for h in response.context["holidays"]] == ["Bank holiday"]
    assert "not a working day" in response.content.decode()


def test_working_week_names():

    with translation.override("en"):
        assert weekday_names("12345") == "Mon–Fri"
        assert weekday_names("1235") == "Mon–Wed, Fri"
        assert weekday_names("1245") == "Mon, Tue, Thu, Fri"
        assert weekday_names("67") == "Sat, Sun"
        assert weekday_names("7123456") == "Mon–Sun"


def test_timezone_endpoint_offers_only_the_countrys_zones(client, org):
    as_user(client, org.admin)
    url = reverse("sysadmin:branch_timezones")
    response = client.get(url + "?country=GB&timezone=Asia/Shanghai")
    assert response.status_code == 200
    assert [v for v in options_of(response.content.decode()) if v] == ["Europe/London"]
    assert 'value="Europe/London" selected' in response.content.decode()
    cn = client.get(url + "?country=CN&timezone=Asia/Urumqi").content.decode()
    assert [v for v in options_of(cn) if v] == ["Asia/Shanghai", "Asia/Urumqi"]
    assert 'value="Asia/Urumqi" selected' in cn


def test_gb_branch_cannot_take_a_chinese_time_zone(client, org):
    as_user(client, org.admin)
    url = reverse("sysadmin:branch_edit", args=[org.a_ldn.pk])
    response = client.post(url, branch_post_data(org.a_ldn, timezone="Asia/Shanghai"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["timezone"] == ["Asia/Shanghai is not a time zone of GB."]
    # The re-rendered select offers the country's zones only.
    assert [v for v, _label in response.context["form"].fields["timezone"].choices if v] == ["Europe/London"]
    org.a_ldn.refresh_from_db()
    assert org.a_ldn.timezone == "Europe/London"
    response = client.post(url, branch_post_data(org.a_ldn, timezone="Mars/Olympus"))
    assert "timezone" in response.context["form"].errors
    # The country select asks the endpoint for new options when it changes.
    html = client.get(url).content.decode()
    assert f'hx-get="{reverse("sysadmin:branch_timezones")}"' in html and 'hx-target="#id_timezone"' in html


def test_admin_creates_and_edits_a_branch(client, org):
    as_user(client, org.admin)
    response = client.post(
        reverse("sysadmin:branch_create"),
        {
            "code": "A-SZ",
            "name_local": "深圳分行",
            "name_en": "Shenzhen",
            "parent": org.a_cn.pk,
            "level": "branch",
            "country": "CN",
            "timezone": "Asia/Shanghai",
            "address": "Futian",
            "working_week": ["1", "2", "3", "4", "5", "6"],
            "is_active": "on",
        },
    )
    branch = Branch.objects.get(bank=org.bank_a, code="A-SZ")
    assert response.status_code == 302 and response.url == reverse("sysadmin:branch_detail", args=[branch.pk])
    assert branch.path.startswith(org.a_cn.path) and branch.working_week == "123456"
    assert AuditLog.objects.filter(
        action=AuditLog.Action.CREATE, object_type="sysadmin.branch", object_id=str(branch.pk), actor=org.admin
    ).exists()
    # Duplicate code, another bank's parent and no working day are refused with field errors.
    response = client.post(
        reverse("sysadmin:branch_create"),
        {
            "code": "A-SZ",
            "name_local": "x",
            "parent": org.b_hk.pk,
            "level": "branch",
            "country": "CN",
            "timezone": "Asia/Shanghai",
        },
    )
    errors = response.context["form"].errors
    assert set(errors) >= {"code", "parent", "working_week"}
    assert Branch.objects.filter(code="A-SZ").count() == 1
    # Moving A-SZ below itself is not offered; moving it below A-GB is.
    form = client.get(reverse("sysadmin:branch_edit", args=[branch.pk])).context["form"]
    assert branch.pk not in [b.pk for b in form.fields["parent"].queryset]
    response = client.post(
        reverse("sysadmin:branch_edit", args=[branch.pk]),
        branch_post_data(branch, parent=org.a_gb.pk, country="GB", timezone="Europe/London"),
    )
    assert response.status_code == 302
    branch.refresh_from_db()
    assert branch.parent == org.a_gb and branch.path.startswith(org.a_gb.path)
    update = AuditLog.objects.filter(
        action=AuditLog.Action.UPDATE, object_type="sysadmin.branch", object_id=str(branch.pk)
    ).latest("id")
    assert update.changes["timezone"] == ["Asia/Shanghai", "Europe/London"]


# --- staff create / edit / roles -----------------------------------------------------------------


def test_admin_creates_staff_with_initial_password(client, org):
    as_user(client, org.admin)
    data = {
        "username": "a.new",
        "employee_no": "E100",
        "name_local": "新员工",
        "email": "new@example.com",
        "phone": "021 6123 4567",
        "branch": org.a_sh.pk,
        "language": "zh-hans",
        "time_zone": "",
        "status": "active",
        "roles": ["customer_manager"],
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    response = client.post(reverse("sysadmin:staff_create"), data)
    staff = Staff.objects.get(username="a.new")
    assert response.status_code == 302 and response.url == reverse("sysadmin:staff_detail", args=[staff.pk])
    assert staff.bank == org.bank_a and staff.branch == org.a_sh and staff.phone == "+862161234567"
    assert staff.must_change_password is True and staff.check_password(NEW_PASSWORD)
    assert list(staff.groups.values_list("name", flat=True)) == ["customer_manager"]
    role_entry = AuditLog.objects.get(object_type="sysadmin.staff", object_id=str(staff.pk), detail__event="roles")
    assert role_entry.changes["roles"] == [[], ["customer_manager"]] and role_entry.actor == org.admin
    created = AuditLog.objects.get(object_type="sysadmin.staff", object_id=str(staff.pk), action=AuditLog.Action.CREATE)
    assert "password" not in created.changes
    # Mismatched passwords, a reused employee number and a foreign branch: clear errors, nothing saved.
    response = client.post(
        reverse("sysadmin:staff_create"),
        {
            **data,
            "username": "a.new2",
            "password2": NEW_PASSWORD + "x",
            "branch": org.b_hk.pk,
        },
    )
    assert set(response.context["form"].errors) >= {"password2", "branch"}
    response = client.post(reverse("sysadmin:staff_create"), {**data, "username": "a.new3"})
    assert response.context["form"].errors["employee_no"] == ["Employee number E100 is already used in this bank."]
    response = client.post(
        reverse("sysadmin:staff_create"),
        {
            **data,
            "username": "a.new4",
            "employee_no": "",
            "password1": "short",
            "password2": "short",
        },
    )
    assert "password1" in response.context["form"].errors
    assert not Staff.objects.filter(username__in=["a.new2", "a.new3", "a.new4"]).exists()


def test_supervisor_may_grant_only_manager_and_teller_roles(client, org):
    as_user(client, org.supervisor)
    url = reverse("sysadmin:staff_edit", args=[org.manager.pk])
    form = client.get(url).context["form"]
    assert [name for name, _label in form.fields["roles"].choices] == ["teller", "customer_manager"]
    response = client.post(url, staff_post_data(org.manager, roles=["customer_manager", "system_admin"]))
    assert response.status_code == 200
    assert response.context["form"].errors["roles"] == ["You may not grant the role system_admin."]
    assert list(org.manager.groups.values_list("name", flat=True)) == ["customer_manager"]
    with pytest.raises(PermissionDenied):
        org_services.set_roles(org.manager, ["system_admin"], org.supervisor)
    assert not org.manager.groups.filter(name="system_admin").exists()

    response = client.post(url, staff_post_data(org.manager, roles=["customer_manager", "teller"]))
    assert response.status_code == 302
    assert sorted(org.manager.groups.values_list("name", flat=True)) == ["customer_manager", "teller"]
    entry = AuditLog.objects.filter(object_type="sysadmin.staff", object_id=str(org.manager.pk), detail__event="roles").latest(
        "id"
    )
    assert entry.actor == org.supervisor
    assert entry.changes == {"roles": [["customer_manager"], ["customer_manager", "teller"]]}


def test_supervisor_keeps_roles_beyond_reach_and_cannot_edit_elsewhere(client, org):
    deputy = make_staff("a.sup.sh1", branch=org.a_sh_sub, roles=["branch_supervisor"])
    as_user(client, org.supervisor)
    url = reverse("sysadmin:staff_edit", args=[deputy.pk])
    response = client.post(url, staff_post_data(deputy, roles=["teller"], name_local="Deputy"))
    assert response.status_code == 302
    assert sorted(deputy.groups.values_list("name", flat=True)) == ["branch_supervisor", "teller"]
    deputy.refresh_from_db()
    assert deputy.name_local == "Deputy"
    # Staff of another branch: 404 for page and post; moving own staff out of the subtree: refused.
    assert client.get(reverse("sysadmin:staff_edit", args=[org.manager_bj.pk])).status_code == 404
    response = client.post(
        reverse("sysadmin:staff_edit", args=[org.manager.pk]), staff_post_data(org.manager, branch=org.a_bj.pk)
    )
    assert "branch" in response.context["form"].errors
    org.manager.refresh_from_db()
    assert org.manager.branch == org.a_sh
    # Own roles are not editable, not even within reach.
    own = client.get(reverse("sysadmin:staff_edit", args=[org.supervisor.pk])).context["form"]
    assert own.fields["roles"].disabled
    with pytest.raises(ValidationError, match="own roles"):
        org_services.set_roles(org.supervisor, ["teller"], org.supervisor)
    assert list(org.supervisor.groups.values_list("name", flat=True)) == ["branch_supervisor"]


def test_system_admin_grants_admin_role_and_admin_access_follows(client, org):
    as_user(client, org.admin)
    url = reverse("sysadmin:staff_edit", args=[org.auditor.pk])
    response = client.post(url, staff_post_data(org.auditor, roles=["auditor", "system_admin"]))
    assert response.status_code == 302
    org.auditor.refresh_from_db()
    assert org.auditor.is_staff is True
    entry = AuditLog.objects.filter(object_id=str(org.auditor.pk), detail__event="roles").latest("id")
    assert entry.changes == {"roles": [["auditor"], ["auditor", "system_admin"]], "is_staff": [False, True]}
    # An administrator in a supervisor's subtree is out of the supervisor's reach.
    local_admin = make_staff("a.admin.sh", branch=org.a_sh, roles=["system_admin"])
    as_user(client, org.supervisor)
    assert client.get(reverse("sysadmin:staff_edit", args=[local_admin.pk])).status_code == 403
    assert client.get(reverse("sysadmin:staff_detail", args=[local_admin.pk])).context["may_edit"] is False


def test_head_office_staff_officer_cannot_grant_system_admin(org):
    # An auditor (bank scope) who was also given staff rights, but is no administrator.
    hr = make_staff("a.hr", branch=org.a_ho, roles=["auditor"])
    hr_role = Group.objects.create(name="hr_officer")
    hr_role.permissions.add(Permission.objects.get(codename="change_staff"))
    hr.groups.add(hr_role)
    hr = Staff.objects.get(pk=hr.pk)  # fresh permission cache
    grantable = org_services.grantable_roles(hr)
    assert "system_admin" not in grantable and "branch_supervisor" in grantable
    with pytest.raises(PermissionDenied):
        org_services.set_roles(org.manager, ["system_admin"], hr)


def test_unlock(client, org):
    Staff.objects.filter(pk=org.manager.pk).update(locked_at=timezone.now(), failed_login_count=5)
    as_user(client, org.supervisor)
    detail = client.get(reverse("sysadmin:staff_detail", args=[org.manager.pk]))
    assert 'id="unlock-staff"' in detail.content.decode()
    assert detail.context["audit_entries"] is None  # supervisors hold no view_audit
    url = reverse("sysadmin:staff_unlock", args=[org.manager.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    org.manager.refresh_from_db()
    assert org.manager.locked_at is None and org.manager.failed_login_count == 0
    assert AuditLog.objects.filter(action=AuditLog.Action.UNLOCKED, object_id=str(org.manager.pk), actor=org.supervisor).exists()
    as_user(client, org.admin)
    detail = client.get(reverse("sysadmin:staff_detail", args=[org.manager.pk]))
    assert [e.action for e in detail.context["audit_entries"]][:1] == [AuditLog.Action.UNLOCKED]


# --- in the browser ---------------------------------------------------------------------------------


@pytest.mark.browser
def test_country_change_narrows_time_zones_in_the_browser(transactional_db, org, page):
    login(page, "a.admin")
    page.goto(reverse("sysadmin:branch_create"))
    # Monday to Friday is ticked for a new branch.
    assert page.eval_on_selector_all("#id_working_week input:checked", "els => els.map(e => e.value)") == list("12345")
    page.select_option("#id_country", "GB")
    # expect() polls without eval(): the Content-Security-Policy forbids it in the page.
    expect(page.locator("#id_timezone option")).to_have_count(2)
    expect(page.locator('#id_timezone option[value="Europe/London"]')).to_have_count(1)
    assert page.input_value("#id_timezone") == "Europe/London"
    page.select_option("#id_country", "CN")
    expect(page.locator("#id_timezone option")).to_have_count(3)
    values = page.eval_on_selector_all("#id_timezone option", "els => els.map(e => e.value)")
    assert values == ["", "Asia/Shanghai", "Asia/Urumqi"]
    page.fill("#id_code", "A-CD")
    page.fill("#id_name_local", "成都分行")
    page.select_option("#id_parent", str(org.a_cn.pk))
    page.select_option("#id_timezone", "Asia/Urumqi")
    page.click("#branch-form button[type=submit]")
    page.wait_for_selector("#branch-local-time")
    branch = Branch.objects.get(code="A-CD")
    assert branch.timezone == "Asia/Urumqi" and branch.country == "CN"
