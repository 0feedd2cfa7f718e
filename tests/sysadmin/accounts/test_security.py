"""Log-in security: lock-out, unlock, log-in audit, password reuse and expiry, forced
change, idle time-out, staff who left. Everything through the Django test client."""

import datetime
import time

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client, RequestFactory
from django.utils import timezone

from ocrm.audit.models import AuditLog
from ocrm.middleware import client_ip
from sysadmin.accounts import services
from sysadmin.org.models import Staff
from sysadmin.parameters import services as parameters
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
CHANGE_URL = "/accounts/password/change/"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # The policy logic does not depend on the hasher; the default one costs ~0.5 s per hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client():
    """A client that reads English (the default language is Simplified Chinese)."""
    c = Client(REMOTE_ADDR="10.20.30.40")
    c.cookies["django_language"] = "en"
    return c


def post_login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def form_error_codes(response):
    form = response.context["form"]
    return [e.code for e in form.non_field_errors().as_data()]


def set_param(key, value, bank=None):
    return parameters.set_value(key, value, bank=bank)


# --- failures (the lock-out itself: test_lockout.py) ----------------------------------------------------


def test_a_successful_log_in_resets_the_failure_count(org, client):
    post_login(client, org.manager.username, "Wrong-Pass-2026!")
    post_login(client, org.manager.username, PASSWORD)
    org.manager.refresh_from_db()
    assert org.manager.failed_login_count == 0
    assert logged_in_user_id(client) == str(org.manager.pk)


def test_an_open_session_ends_when_the_account_is_locked(org, client):
    client.force_login(org.manager)
    assert client.get("/").status_code == 200
    services.lock_staff(org.manager, org.admin, reason="suspicious activity")
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(LOGIN_URL)


# --- unlock -------------------------------------------------------------------------------


def lock(user, failures=5):
    Staff.objects.filter(pk=user.pk).update(locked_at=timezone.now(), failed_login_count=failures)
    user.refresh_from_db()


def test_admin_action_unlocks_and_is_audited(org, client):
    lock(org.manager)
    lock(org.manager_bj, failures=7)
    admin_client = Client()
    admin_client.force_login(org.admin)
    response = admin_client.post(
        "/admin/sysadmin/staff/",
        {
            "action": "unlock_selected",
            "_selected_action": [org.manager.pk, org.manager_bj.pk],
        },
    )
    assert response.status_code == 302
    for user in (org.manager, org.manager_bj):
        user.refresh_from_db()
        assert user.locked_at is None and user.failed_login_count == 0
        entry = AuditLog.objects.get(action=AuditLog.Action.UNLOCKED, object_id=str(user.pk))
        assert entry.actor == org.admin
        assert entry.changes["failed_login_count"][0] in (5, 7) and entry.changes["locked_at"][1] is None

    post_login(client, org.manager.username, PASSWORD)
    assert logged_in_user_id(client) == str(org.manager.pk)


def test_unlock_service_resets_and_audits(org):
    lock(org.manager)
    services.unlock_staff(org.manager, org.supervisor)  # the manager's branch is in the supervisor's subtree
    org.manager.refresh_from_db()
    assert org.manager.locked_at is None and org.manager.failed_login_count == 0
    entry = AuditLog.objects.get(action=AuditLog.Action.UNLOCKED, object_id=str(org.manager.pk))
    assert entry.actor == org.supervisor and entry.changes["failed_login_count"] == [5, 0]


def test_unlock_service_refuses_outside_scope_and_without_permission(org):
    lock(org.b_manager)
    lock(org.manager_bj)
    with pytest.raises(PermissionDenied):
        services.unlock_staff(org.b_manager, org.admin)  # another bank
    with pytest.raises(PermissionDenied):
        services.unlock_staff(org.manager_bj, org.supervisor)  # Beijing is outside the Shanghai subtree
    with pytest.raises(PermissionDenied):
        services.unlock_staff(org.manager_bj, org.manager)  # no unlock permission
    for user in (org.b_manager, org.manager_bj):
        user.refresh_from_db()
        assert user.locked_at is not None
    assert not AuditLog.objects.filter(action=AuditLog.Action.UNLOCKED).exists()


# --- log-in, log-out, failures audited with IP -----------------------------------------------


def test_log_in_and_log_out_are_audited_with_ip(org, client):
    response = post_login(client, org.manager.username)
    assert response.status_code == 302
    login = AuditLog.objects.get(action=AuditLog.Action.LOGIN)
    assert (login.actor, login.ip, login.bank_id) == (org.manager, "10.20.30.40", org.bank_a.pk)

    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response.url == LOGIN_URL
    logout = AuditLog.objects.get(action=AuditLog.Action.LOGOUT)
    assert (logout.actor, logout.ip, logout.detail["reason"]) == (org.manager, "10.20.30.40", "user")
    assert logged_in_user_id(client) is None


def test_failed_log_in_of_an_unknown_name_is_audited(org, client):
    post_login(client, "nobody.here", "Whatever-2026!")
    entry = AuditLog.objects.get(action=AuditLog.Action.LOGIN_FAILED)
    assert entry.actor is None and entry.actor_name == "nobody.here"
    assert entry.ip == "10.20.30.40" and entry.detail["reason"] == "unknown user"


def test_a_forged_forwarded_for_header_neither_breaks_log_in_nor_poses_as_an_ip(org, client, settings):
    # From an untrusted connection the header is ignored: the log keeps the real address.
    response = post_login(client, org.manager.username, HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert response.status_code == 302
    assert AuditLog.objects.get(action=AuditLog.Action.LOGIN).ip == "10.20.30.40"
    # Behind a trusted proxy, a hop that is not an address is kept as text, never as an IP.
    settings.TRUSTED_PROXIES = ["10.20.30.40"]
    client.logout()
    post_login(client, org.manager.username, HTTP_X_FORWARDED_FOR="1.2.3.4, <script>")
    entry = AuditLog.objects.filter(action=AuditLog.Action.LOGIN).latest("id")
    assert entry.ip is None and entry.detail["unparsable_ip"] == "<script>"


# --- staff who left ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Staff.Status.LEFT, Staff.Status.ON_LEAVE])
def test_staff_who_left_or_are_on_leave_cannot_log_in(org, client, status):
    Staff.objects.filter(pk=org.manager.pk).update(status=status)
    response = post_login(client, org.manager.username, PASSWORD)
    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    assert form_error_codes(response) == ["inactive_status"]
    # A wrong password says nothing about the account's status.
    response = post_login(client, org.manager.username, "Wrong-Pass-2026!")
    assert form_error_codes(response) == ["invalid_login"]


def test_an_open_session_ends_when_the_staff_member_leaves(org, client):
    client.force_login(org.manager)
    Staff.objects.filter(pk=org.manager.pk).update(status=Staff.Status.LEFT)
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(LOGIN_URL)


# --- password reuse ---------------------------------------------------------------------------

OLD_PASSWORDS = [f"Earlier-Pass-{n}!x" for n in range(1, 6)]  # set after PASSWORD, oldest first


def test_any_of_the_last_five_passwords_is_refused_and_the_sixth_oldest_allowed(org, client):
    user = org.manager  # PASSWORD was set when the user was made
    for password in OLD_PASSWORDS:
        user.set_password(password)
        user.save()
    assert user.password_history.count() == 5
    current = OLD_PASSWORDS[-1]

    for reused in OLD_PASSWORDS:  # the current one and the four before it
        with pytest.raises(ValidationError) as excinfo:
            validate_password(reused, user)
        assert "password_reused" in [e.code for e in excinfo.value.error_list]
    validate_password(PASSWORD, user)  # the sixth-oldest: allowed again

    client.force_login(user)
    response = client.post(
        CHANGE_URL, {"old_password": current, "new_password1": OLD_PASSWORDS[1], "new_password2": OLD_PASSWORDS[1]}
    )
    assert response.status_code == 200
    assert "password_reused" in [e.code for e in response.context["form"].errors.as_data()["new_password2"]]
    user.refresh_from_db()
    assert user.check_password(current)

    response = client.post(CHANGE_URL, {"old_password": current, "new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # Only the last five are kept, newest first.
    assert user.password_history.count() == 5
    assert AuditLog.objects.filter(action=AuditLog.Action.PASSWORD_CHANGE, actor=user).exists()


def test_the_history_length_is_a_bank_parameter(org):
    set_param("password.history", 2, bank=org.bank_a)
    user = org.manager
    for password in OLD_PASSWORDS[:3]:
        user.set_password(password)
        user.save()
    validate_password(OLD_PASSWORDS[0], user)  # third-newest: outside a history of 2
    with pytest.raises(ValidationError):
        validate_password(OLD_PASSWORDS[1], user)


# --- expiry ---------------------------------------------------------------------------------------


def age_password(user, days):
    Staff.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - datetime.timedelta(days=days))


def test_an_expired_password_forces_the_change_page(org, client):
    age_password(org.manager, 91)  # the default expiry is 90 days
    client.force_login(org.manager)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == CHANGE_URL
    assert "Your password has expired" in response.content.decode()
    assert client.get("/sysadmin/audit/").url == CHANGE_URL

    response = client.post(
        CHANGE_URL, {"old_password": PASSWORD, "new_password1": "Brand-New-Pass-77", "new_password2": "Brand-New-Pass-77"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_password_expiry_days_is_a_bank_parameter(org, client):
    set_param("password.expiry_days", 120, bank=org.bank_a)
    age_password(org.manager, 100)
    age_password(org.b_manager, 100)
    client.force_login(org.manager)
    assert client.get("/").status_code == 200
    other = Client()
    other.force_login(org.b_manager)
    assert other.get("/").url == CHANGE_URL


def test_expiry_zero_means_never(org, client):
    set_param("password.expiry_days", 0)
    age_password(org.manager, 5000)
    client.force_login(org.manager)
    assert client.get("/").status_code == 200


# --- forced change on first log-in ------------------------------------------------------------------


def test_first_log_in_blocks_every_page_but_password_change_logout_and_static(org, client, make_staff):
    newcomer = make_staff("a.new", branch=org.a_sh, roles=["customer_manager"], must_change_password=True)
    response = post_login(client, newcomer.username)
    assert response.status_code == 302
    response = client.get(response.url, follow=True)
    assert response.redirect_chain[-1][0] == CHANGE_URL
    assert "Please choose your own password" in response.content.decode()

    for blocked in ("/", "/sysadmin/audit/", "/admin/", "/admin/password_change/", "/sysadmin/audit/1/"):
        response = client.get(blocked)
        assert (response.status_code, response.url) == (302, CHANGE_URL), blocked
    assert client.get(CHANGE_URL).status_code == 200
    assert client.get("/static/ocrm/ocrm.css").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302

    response = client.post(
        CHANGE_URL, {"old_password": PASSWORD, "new_password1": "Own-Choice-2026#", "new_password2": "Own-Choice-2026#"}
    )
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.must_change_password is False and newcomer.check_password("Own-Choice-2026#")
    assert client.get("/").status_code == 200
    assert AuditLog.objects.filter(action=AuditLog.Action.PASSWORD_CHANGE, actor=newcomer).count() == 1


def test_log_out_works_while_the_change_is_pending(org, client, make_staff):
    newcomer = make_staff("a.new2", branch=org.a_sh, roles=["customer_manager"], must_change_password=True)
    client.force_login(newcomer)
    response = client.post("/accounts/logout/")
    assert (response.status_code, response.url) == (302, LOGIN_URL)
    assert logged_in_user_id(client) is None


def test_a_password_set_by_an_administrator_must_be_changed(org, client):
    admin_client = Client()
    admin_client.force_login(org.admin)
    response = admin_client.post(
        f"/admin/sysadmin/staff/{org.manager.pk}/password/",
        {
            "password1": "Admin-Chosen-2026",
            "password2": "Admin-Chosen-2026",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    org.manager.refresh_from_db()
    assert org.manager.check_password("Admin-Chosen-2026") and org.manager.must_change_password
    entry = AuditLog.objects.get(action=AuditLog.Action.PASSWORD_CHANGE, object_id=str(org.manager.pk))
    assert entry.actor == org.admin and entry.detail["by_administrator"] is True

    post_login(client, org.manager.username, "Admin-Chosen-2026")
    assert client.get("/").url == CHANGE_URL


# --- idle time-out -------------------------------------------------------------------------------------


def test_idle_session_ends_with_a_message(org, client):
    set_param("session.idle_minutes", 2, bank=org.bank_a)
    post_login(client, org.manager.username)
    assert client.get("/").status_code == 200

    session = client.session
    session["last_seen"] = time.time() - 60  # one minute: still inside the limit
    session.save()
    assert client.get("/").status_code == 200

    session = client.session
    session["last_seen"] = time.time() - 3 * 60
    session.save()
    response = client.get("/sysadmin/audit/?user=x")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL) and "next=%2Fsysadmin%2Faudit%2F%3Fuser%3Dx" in response.url
    response = client.get(response.url)
    assert "Your session ended after a period of inactivity" in response.content.decode()
    assert logged_in_user_id(client) is None
    assert client.get("/").url.startswith(LOGIN_URL)
    entry = AuditLog.objects.get(action=AuditLog.Action.LOGOUT)
    assert entry.actor == org.manager and entry.detail["reason"] == "idle"


def test_the_idle_clock_is_written_at_most_every_thirty_seconds(org, client):
    """Requests close together (a page's htmx sections) leave the session unsaved, so one that
    started before a POST cannot save the old session over the POST's message."""
    post_login(client, org.manager.username)
    client.get("/")
    stamp = client.session["last_seen"]
    assert client.get("/").status_code == 200
    assert client.session["last_seen"] == stamp  # not rewritten within the step
    session = client.session
    session["last_seen"] = time.time() - 31
    session.save()
    client.get("/")
    assert client.session["last_seen"] > time.time() - 5  # rewritten once the step has passed


def test_idle_limit_follows_the_users_bank(org, client):
    set_param("session.idle_minutes", 2, bank=org.bank_a)
    client.force_login(org.b_manager)  # bank B: the global 30 minutes
    client.get("/")
    session = client.session
    session["last_seen"] = time.time() - 10 * 60
    session.save()
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        ([], "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # no trusted proxy: the header is ignored
        (["10.0.0.5"], "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not from the proxy: ignored
        (["10.0.0.5"], "10.0.0.5", "198.51.100.1", "198.51.100.1"),
        (["10.0.0.0/8"], "10.0.0.5", "6.6.6.6, 198.51.100.1, 10.0.0.7", "198.51.100.1"),  # forged first hop skipped
        (["10.0.0.5"], "10.0.0.5", "", "10.0.0.5"),
    ],
)
def test_the_audited_address_believes_x_forwarded_for_only_from_trusted_proxies(settings, proxies, remote, forwarded, expected):

    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_password_change_is_one_audit_entry_with_the_rows_changes(org):
    """The staff row saved with a new password is the PASSWORD_CHANGE event's, not also an UPDATE of the safety net."""
    staff = org.manager
    Staff.objects.filter(pk=staff.pk).update(must_change_password=True)
    staff.refresh_from_db()
    earlier = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    services.change_own_password(staff, "Own-Choice-2026#")
    [entry] = AuditLog.objects.filter(object_type="sysadmin.staff", object_id=str(staff.pk), pk__gt=earlier)
    assert (entry.action, entry.actor) == (AuditLog.Action.PASSWORD_CHANGE, staff)
    assert entry.changes["must_change_password"] == [True, False]
    assert "password" not in entry.changes  # never the password, not even hashed

    staff.set_password("Admin-Chosen-2026")
    services.save_password_set_by_admin(staff, org.admin)
    entries = AuditLog.objects.filter(object_type="sysadmin.staff", object_id=str(staff.pk), pk__gt=entry.pk)
    [by_admin] = entries
    assert (by_admin.action, by_admin.actor, by_admin.detail["by_administrator"]) == (
        AuditLog.Action.PASSWORD_CHANGE,
        org.admin,
        True,
    )
    assert by_admin.changes["must_change_password"] == [False, True] and "password" not in by_admin.changes


# --- issue 11, finding 15: the initial password and the absolute session lifetime ------------------------


def test_a_seeded_or_imported_password_cannot_be_chosen_again_at_once(org, client):
    """An imported account's password is written without Staff.save(), so it had no history row:
    the first change back to it used to be allowed."""
    seeded = "Seeded-Pass-2026!"
    Staff.objects.filter(pk=org.manager.pk).update(password=make_password(seeded))
    org.manager.password_history.all().delete()
    org.manager.refresh_from_db()
    client.force_login(org.manager)
    own = "First-Own-2026#"
    response = client.post(CHANGE_URL, {"old_password": seeded, "new_password1": own, "new_password2": own})
    assert (response.status_code, response.url) == (302, "/")

    response = client.post(CHANGE_URL, {"old_password": own, "new_password1": seeded, "new_password2": seeded})
    assert response.status_code == 200
    assert "password_reused" in [e.code for e in response.context["form"].errors.as_data()["new_password2"]]
    org.manager.refresh_from_db()
    assert org.manager.check_password(own)


def test_a_session_ends_after_its_absolute_lifetime_however_active(org, client, settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600  # the cookie and the cached session die with it
    post_login(client, org.manager.username)
    session = client.session
    session["logged_in_at"] = time.time() - 11.9 * 3600
    session.save()
    assert client.get("/").status_code == 200  # active all day: the idle clock is fresh

    session = client.session
    session["logged_in_at"] = time.time() - 12.1 * 3600
    session.save()
    response = client.get("/customers/")
    assert response.status_code == 302 and response.url.startswith(LOGIN_URL)
    assert "Your session reached its time limit" in client.get(response.url).content.decode()
    assert logged_in_user_id(client) is None
    assert AuditLog.objects.get(action=AuditLog.Action.LOGOUT).detail["reason"] == "session lifetime"


def test_a_bank_may_shorten_the_session_lifetime_but_not_lengthen_it(org, client):
    set_param("session.max_hours", 2, bank=org.bank_a)
    set_param("session.max_hours", 48, bank=org.bank_b)
    client.force_login(org.manager)
    session = client.session
    session["logged_in_at"] = time.time() - 2.5 * 3600
    session.save()
    assert client.get("/").url.startswith(LOGIN_URL)

    other = Client()
    other.force_login(org.b_manager)
    session = other.session
    session["logged_in_at"] = time.time() - 13 * 3600
    session.save()
    assert other.get("/").url.startswith(LOGIN_URL)  # the server's 12 hours still hold
