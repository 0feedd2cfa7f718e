"""Django admin for a bank's own administrator (system_admin: is_staff, not superuser):
only their bank's rows, 404 for another bank's, no privilege escalation, the staff
actions, read-only logs, and every registered admin page renders."""

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_perms

from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from sysadmin.accounts.models import PasswordHistory
from sysadmin.org.models import Bank, BankCode, Branch, Holiday, Staff
from sysadmin.parameters.models import SystemParameter
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

STAFF_URL = "/admin/sysadmin/staff/"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser(make_staff):
    return make_staff("root", is_superuser=True, is_staff=True)


def client_for(user):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def form_data(form, **changes):
    """POST data that resubmits an admin form as it was shown, with `changes` applied."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled:
            continue
        if isinstance(value, (list, tuple)):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    for name, value in changes.items():
        if value is None or value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def option_values(form, field):
    return {str(value) for value, _label in form.fields[field].choices if str(value)}


# --- who gets in, who sees what --------------------------------------------------------------------


def test_bank_admin_lists_only_their_banks_staff(org):
    response = client_for(org.admin).get(f"{STAFF_URL}?all=")
    assert response.status_code == 200
    listed = {s.username for s in response.context["cl"].result_list}
    expected = set(Staff.objects.filter(bank=org.bank_a).values_list("username", flat=True))
    assert listed == expected and "a.mgr.sh" in listed
    assert not any(name.startswith("b.") for name in listed)
    assert "b.mgr.hk" not in response.content.decode()


@pytest.mark.parametrize("suffix", ["change/", "password/", "delete/", "history/"])
def test_another_banks_staff_answers_404(org, suffix):
    client = client_for(org.admin)
    assert client.get(f"{STAFF_URL}{org.b_manager.pk}/{suffix}").status_code == 404
    assert client.get(f"{STAFF_URL}{org.manager.pk}/{suffix}").status_code == 200


def test_another_banks_objects_answer_404_in_every_admin(org):
    client = client_for(org.admin)
    holiday = Holiday.objects.create(bank=org.bank_b, country="HK", date=timezone.localdate(), name="B day")
    code = BankCode.objects.create(bank=org.bank_b, code="X1", name="Other", country="HK")
    b_entry = AuditLog.objects.create(bank_id=org.bank_b.pk, action=AuditLog.Action.LOGIN, actor_name="b.mgr.hk")
    b_job = JobRun.objects.create(job="test.job", bank_id=org.bank_b.pk)
    for url in (
        f"/admin/sysadmin/branch/{org.b_hk.pk}/change/",
        f"/admin/sysadmin/bank/{org.bank_b.pk}/change/",
        f"/admin/sysadmin/holiday/{holiday.pk}/change/",
        f"/admin/sysadmin/bankcode/{code.pk}/change/",
        f"/admin/ocrm/auditlog/{b_entry.pk}/change/",
        f"/admin/ocrm/jobrun/{b_job.pk}/change/",
        f"/admin/sysadmin/branch/{org.b_hk.pk}/permissions/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/admin/sysadmin/branch/{org.a_sh.pk}/change/").status_code == 200


@pytest.mark.parametrize("role", ["customer_manager", "auditor", "branch_supervisor"])
def test_roles_without_admin_access_are_sent_to_the_admin_log_in(org, role):
    client = client_for(org.role_users[role])
    for url in ("/admin/", STAFF_URL, f"{STAFF_URL}{org.manager.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/"), url


def test_superuser_sees_every_bank(org, superuser):
    response = client_for(superuser).get(f"{STAFF_URL}?all=")
    listed = {s.username for s in response.context["cl"].result_list}
    assert {"a.mgr.sh", "b.mgr.hk", "root"} <= listed
    assert client_for(superuser).get(f"{STAFF_URL}{org.b_manager.pk}/change/").status_code == 200


def test_bank_admins_never_see_or_touch_superusers(org, superuser):
    Staff.objects.filter(pk=superuser.pk).update(bank=org.bank_a, branch=org.a_ho)
    client = client_for(org.admin)
    listed = {s.username for s in client.get(f"{STAFF_URL}?all=").context["cl"].result_list}
    assert "root" not in listed
    assert client.get(f"{STAFF_URL}{superuser.pk}/password/").status_code == 404


# --- every admin page renders ------------------------------------------------------------------------

OWN_MODELS = (Bank, Branch, Staff, Holiday, BankCode, SystemParameter, PasswordHistory, AuditLog, JobRun)


def test_every_model_is_registered():
    for model in OWN_MODELS:
        assert django_admin.site.is_registered(model), model


@pytest.mark.parametrize("who", ["admin", "superuser"])
def test_every_changelist_and_add_page_renders(org, superuser, who):
    user = org.admin if who == "admin" else superuser
    client = client_for(user)
    Holiday.objects.create(bank=org.bank_a, country="CN", date=timezone.localdate(), name="A day")
    BankCode.objects.create(bank=org.bank_a, code="ICBC", name="ICBC", country="CN")
    SystemParameter.objects.create(bank=org.bank_a, key="export.max_rows", value_type="int", value="10")
    JobRun.objects.create(job="test.job", bank_id=org.bank_a.pk)
    assert client.get("/admin/").status_code == 200
    for model in OWN_MODELS:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = client.get(changelist)
        assert response.status_code == 200, changelist
        rows = list(response.context["cl"].result_list)
        if rows:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[rows[0].pk])
            assert client.get(change).status_code == 200, change
        model_admin = django_admin.site._registry[model]
        request = response.wsgi_request
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        expected = 200 if model_admin.has_add_permission(request) else 403
        assert client.get(add).status_code == expected, add


def test_logs_are_read_only_even_for_a_superuser(org, superuser):
    client = client_for(superuser)
    logged = AuditLog.objects.create(bank_id=org.bank_a.pk, action=AuditLog.Action.LOGIN, actor_name="x")
    job = JobRun.objects.create(job="test.job", bank_id=org.bank_a.pk)
    history = PasswordHistory.objects.filter(staff=org.manager).first()
    for base, obj in (
        ("/admin/ocrm/auditlog/", logged),
        ("/admin/ocrm/jobrun/", job),
        ("/admin/sysadmin/passwordhistory/", history),
    ):
        assert client.get(f"{base}add/").status_code == 403
        assert client.post(f"{base}{obj.pk}/change/", {}).status_code == 403
        assert client.get(f"{base}{obj.pk}/delete/").status_code == 403
        assert client.post(base, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}).status_code in (
            200,
            302,
        )
        assert type(obj).objects.filter(pk=obj.pk).exists()
    page = client.get(f"/admin/sysadmin/passwordhistory/{history.pk}/change/").content.decode()
    assert history.password not in page  # never the hash


# --- foreign-key choices stay inside the bank ------------------------------------------------------------


def test_choices_offer_only_the_admins_bank(org):
    client = client_for(org.admin)
    form = client.get(f"{STAFF_URL}add/").context["adminform"].form
    assert option_values(form, "bank") == {str(org.bank_a.pk)}
    a_branches = {str(pk) for pk in Branch.objects.filter(bank=org.bank_a).values_list("pk", flat=True)}
    assert option_values(form, "branch") == a_branches
    form = client.get("/admin/sysadmin/branch/add/").context["adminform"].form
    assert option_values(form, "parent") == a_branches and option_values(form, "bank") == {str(org.bank_a.pk)}


def test_a_forged_post_cannot_move_staff_to_another_bank(org):
    client = client_for(org.admin)
    url = f"{STAFF_URL}{org.manager.pk}/change/"
    form = client.get(url).context["adminform"].form
    response = client.post(url, form_data(form, bank=str(org.bank_b.pk), branch=str(org.b_hk.pk)))
    assert response.status_code == 200  # the form refuses the foreign choices
    org.manager.refresh_from_db()
    assert org.manager.bank == org.bank_a and org.manager.branch == org.a_sh


# --- staff: adding, roles, escalation, actions ------------------------------------------------------------


def test_adding_staff_sets_bank_must_change_roles_and_audits(org):
    client = client_for(org.admin)
    response = client.post(
        f"{STAFF_URL}add/",
        {
            "username": "a.newcomer",
            "usable_password": "true",
            "password1": "Initial-Pass-2026",
            "password2": "Initial-Pass-2026",
            "name_local": "新人",
            "employee_no": "E-900",
            "branch": org.a_bj.pk,
            "groups": [Group.objects.get(name="customer_manager").pk],
            "language": "zh-hans",
            "time_zone": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    newcomer = Staff.objects.get(username="a.newcomer")
    assert (newcomer.bank, newcomer.branch, newcomer.must_change_password) == (org.bank_a, org.a_bj, True)
    assert set(newcomer.groups.values_list("name", flat=True)) == {"customer_manager"}
    assert newcomer.is_staff is False
    created = AuditLog.objects.get(action=AuditLog.Action.CREATE, object_type="sysadmin.staff", object_id=str(newcomer.pk))
    assert created.actor == org.admin and "password" not in created.changes
    roles = AuditLog.objects.get(action=AuditLog.Action.UPDATE, object_id=str(newcomer.pk), detail__event="roles")
    assert roles.changes["roles"] == [[], ["customer_manager"]]


def test_role_changes_are_audited_and_admin_access_follows_the_role(org):
    client = client_for(org.admin)
    url = f"{STAFF_URL}{org.manager.pk}/change/"
    form = client.get(url).context["adminform"].form
    roles = [str(Group.objects.get(name=name).pk) for name in ("customer_manager", "system_admin")]
    response = client.post(url, form_data(form, groups=roles))
    assert response.status_code == 302
    org.manager.refresh_from_db()
    assert org.manager.is_staff is True
    logged = AuditLog.objects.get(action=AuditLog.Action.UPDATE, object_id=str(org.manager.pk), detail__event="roles")
    assert logged.changes["roles"] == [["customer_manager"], ["customer_manager", "system_admin"]]
    assert logged.changes["is_staff"] == [False, True]


def test_a_bank_admin_cannot_make_anyone_superuser_nor_widen_their_own_roles(org):
    client = client_for(org.admin)
    url = f"{STAFF_URL}{org.manager.pk}/change/"
    form = client.get(url).context["adminform"].form
    assert "is_superuser" not in form.fields and "user_permissions" not in form.fields
    client.post(url, {**form_data(form), "is_superuser": "on"})
    org.manager.refresh_from_db()
    assert org.manager.is_superuser is False

    own = client.get(f"{STAFF_URL}{org.admin.pk}/change/").context["adminform"].form
    assert "groups" not in own.fields and "bank" not in own.fields


def test_require_password_change_action(org):
    client = client_for(org.admin)
    response = client.post(STAFF_URL, {"action": "require_password_change", "_selected_action": [org.manager.pk, org.teller.pk]})
    assert response.status_code == 302
    for user in (org.manager, org.teller):
        user.refresh_from_db()
        assert user.must_change_password is True
        logged = AuditLog.objects.get(object_id=str(user.pk), detail__reason="password change required by administrator")
        assert logged.actor == org.admin and logged.changes == {"must_change_password": [False, True]}
    # The next request of that user lands on the change page.
    assert client_for(org.manager).get("/").url == "/accounts/password/change/"


def test_actions_cannot_reach_another_banks_staff(org):
    Staff.objects.filter(pk=org.b_manager.pk).update(locked_at=timezone.now())
    client = client_for(org.admin)
    client.post(STAFF_URL, {"action": "unlock_selected", "_selected_action": [org.b_manager.pk]})
    client.post(STAFF_URL, {"action": "require_password_change", "_selected_action": [org.b_manager.pk]})
    org.b_manager.refresh_from_db()
    assert org.b_manager.locked_at is not None and org.b_manager.must_change_password is False


def test_admin_log_in_shows_the_lockout_message(org):
    Staff.objects.filter(pk=org.admin.pk).update(locked_at=timezone.now())
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.post("/admin/login/?next=/admin/", {"username": org.admin.username, "password": PASSWORD})
    assert response.status_code == 200
    # The same message as every failed log-in: it must not tell which names exist (docs/authentication.md).
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["invalid_login"]
    assert "paused after repeated failures" in response.content.decode()


# --- guardian object permissions on branches ----------------------------------------------------------------


def test_object_permissions_can_only_be_granted_to_the_admins_own_staff(org):
    client = client_for(org.admin)
    base = f"/admin/sysadmin/branch/{org.a_ldn.pk}/permissions/"
    assert client.get(base).status_code == 200
    response = client.post(base, {"user": org.b_manager.username, "submit_manage_user": "1"})
    assert response.status_code == 200 and response.context["user_form"].errors
    assert client.get(f"{base}user-manage/{org.b_manager.pk}/").status_code == 404

    response = client.post(base, {"user": org.manager.username, "submit_manage_user": "1"})
    assert response.status_code == 302
    response = client.post(f"{base}user-manage/{org.manager.pk}/", {"permissions": ["view_branch"]})
    assert response.status_code == 302
    assert get_perms(org.manager, org.a_ldn) == ["view_branch"]
    assert list(Branch.objects.visible_to(org.manager).values_list("code", flat=True)) == ["A-LDN"]


def test_bank_admin_edits_own_bank_but_cannot_add_or_delete_banks(org):
    client = client_for(org.admin)
    listed = {b.code for b in client.get("/admin/sysadmin/bank/").context["cl"].result_list}
    assert listed == {"BKA"}
    assert client.get("/admin/sysadmin/bank/add/").status_code == 403
    assert client.get(f"/admin/sysadmin/bank/{org.bank_a.pk}/delete/").status_code == 403
    url = f"/admin/sysadmin/bank/{org.bank_a.pk}/change/"
    form = client.get(url).context["adminform"].form
    assert client.post(url, form_data(form, name_en="Bank A Ltd")).status_code == 302
    org.bank_a.refresh_from_db()
    assert org.bank_a.name_en == "Bank A Ltd"
    assert AuditLog.objects.get(object_type="sysadmin.bank", action=AuditLog.Action.UPDATE).changes == {
        "name_en": ["Bank A", "Bank A Ltd"]
    }
